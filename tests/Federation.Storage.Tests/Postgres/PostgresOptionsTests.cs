using Federation.Actors.AdoNet.Postgres;
using Microsoft.Extensions.Options;

namespace Federation.TestKit.Postgres;

/// <summary>Options validation needs no server: every message names the bad option.</summary>
public sealed class PostgresOptionsTests
{
    private const string Valid = "Host=127.0.0.1;Username=federation;Password=secret;Database=federation";

    [Theory]
    [InlineData(null, "PostgresStorageOptions.ConnectionString must be set")]
    [InlineData("  ", "PostgresStorageOptions.ConnectionString must be set")]
    [InlineData("Username=federation;Database=federation", "PostgresStorageOptions.ConnectionString must name a Host.")]
    [InlineData("Host=x;Password=secret;Bogus=1", "PostgresStorageOptions.ConnectionString is not a valid Npgsql connection string")]
    public void InvalidConnectionStringsAreRejectedByNameWithoutRepeatingThem(string? connectionString, string expected)
    {
        var result = new PostgresStorageOptionsValidator().Validate("Default", new PostgresStorageOptions { ConnectionString = connectionString });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryOtherBadOptionIsNamed()
    {
        var options = new PostgresStorageOptions
        {
            ConnectionString = Valid,
            ServiceId = new string('s', PostgresStorageOptions.MaxServiceIdLength + 1),
            Schema = "Bad-Schema",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            CommandTimeout = TimeSpan.Zero,
            MaxPoolSize = 0,
        };

        var error = Assert.Throws<OptionsValidationException>(() => PostgresStorageOptionsValidator.ThrowIfInvalid("Default", options));

        Assert.Equal(
            [
                "PostgresStorageOptions.ServiceId must be at most 150 characters.",
                "PostgresStorageOptions.Schema must be a lower-case identifier (letters, digits, '_', not starting with a digit, at most 63 characters); it is 'Bad-Schema'.",
                "PostgresStorageOptions.ConnectTimeout must be between 1 s and 1024 s; it is 00:00:00.5000000.",
                "PostgresStorageOptions.CommandTimeout must be at least 1 s; it is 00:00:00.",
                "PostgresStorageOptions.MaxPoolSize must be between 1 and 1024; it is 0.",
            ],
            error.Failures);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("public; drop table x")]
    [InlineData("Federation")]
    public void SchemaNamesThatCouldNotBeUsedVerbatimInDdlAreRejected(string schema)
    {
        var result = new PostgresStorageOptionsValidator().Validate("Default", new PostgresStorageOptions { ConnectionString = Valid, Schema = schema });

        Assert.StartsWith("PostgresStorageOptions.Schema must be a lower-case identifier", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultsAreTheNamedConstants()
    {
        var options = new PostgresStorageOptions();

        Assert.Null(options.ConnectionString);
        Assert.Null(options.Schema);
        Assert.Equal("default", options.ServiceId);
        Assert.False(options.DeleteStateOnClear);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CommandTimeout);
        Assert.Equal(100, options.MaxPoolSize);
        Assert.True(new PostgresStorageOptionsValidator().Validate("Default", new PostgresStorageOptions { ConnectionString = Valid }).Succeeded);
    }
}
