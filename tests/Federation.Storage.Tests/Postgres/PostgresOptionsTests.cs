using Federation.Storage.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Federation.Storage.Tests.Postgres;

/// <summary>Options validation needs no server: every message names the bad option and never repeats the connection string.</summary>
public sealed class PostgresOptionsTests
{
    private const string Secret = "s3cret-never-repeated";
    private const string Valid = "Host=127.0.0.1;Username=federation;Password=" + Secret + ";Database=federation";

    [Theory]
    [InlineData(null, "PostgresStorageOptions.ConnectionString must be set")]
    [InlineData("  ", "PostgresStorageOptions.ConnectionString must be set")]
    [InlineData("Username=federation;Password=" + Secret + ";Database=federation", "PostgresStorageOptions.ConnectionString must name a Host.")]
    [InlineData("Host=x;Password=" + Secret + ";Bogus=1", "PostgresStorageOptions.ConnectionString is not a valid Npgsql connection string")]
    public void InvalidConnectionStringsAreRejectedByNameWithoutRepeatingThem(string? connectionString, string expected)
    {
        var result = new PostgresStorageOptionsValidator().Validate("Default", new PostgresStorageOptions { ConnectionString = connectionString });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryOtherBadOptionIsNamedAndThePasswordIsNotRepeated()
    {
        var options = new PostgresStorageOptions
        {
            ConnectionString = Valid,
            Schema = "Bad-Schema",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            CommandTimeout = TimeSpan.Zero,
            MaxPoolSize = 0,
        };

        var error = Assert.Throws<OptionsValidationException>(() => PostgresStorageOptionsValidator.ThrowIfInvalid("Default", options));

        Assert.Equal(
            [
                "PostgresStorageOptions.Schema must be a lower-case identifier (letters, digits, '_', not starting with a digit, at most 63 characters); it is 'Bad-Schema'.",
                "PostgresStorageOptions.ConnectTimeout must be between 1 s and 1024 s; it is 00:00:00.5000000.",
                "PostgresStorageOptions.CommandTimeout must be at least 1 s; it is 00:00:00.",
                "PostgresStorageOptions.MaxPoolSize must be between 1 and 1024; it is 0.",
            ],
            error.Failures);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("public; drop table x")]
    [InlineData("Federation")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
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
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CommandTimeout);
        Assert.Equal(100, options.MaxPoolSize);
        Assert.True(new PostgresStorageOptionsValidator().Validate("Default", new PostgresStorageOptions { ConnectionString = Valid, Schema = "federation_1" }).Succeeded);
    }

    [Fact]
    public void TheConnectionStringGetsTheOptionsTimeoutsPoolAndSchemaAndTheDisplayNameNoCredentials()
    {
        var options = new PostgresStorageOptions
        {
            ConnectionString = $"Host=db;Username=u;Password={Secret};Database=d;Timeout=60;Search Path=other;Maximum Pool Size=7",
            Schema = "federation",
            ConnectTimeout = TimeSpan.FromSeconds(2.5),
            CommandTimeout = TimeSpan.FromSeconds(10),
            MaxPoolSize = 20,
        };

        var effective = new NpgsqlConnectionStringBuilder(PostgresStorage.EffectiveConnectionString(options));
        var display = PostgresStorage.DisplayNameOf(options);

        Assert.Equal((3, 10, 20, "federation"), (effective.Timeout, effective.CommandTimeout, effective.MaxPoolSize, effective.SearchPath));
        Assert.Equal((Secret, "u", "d"), (effective.Password, effective.Username, effective.Database));
        Assert.Equal("db:5432/d (schema federation)", display);
        options.Schema = null;
        Assert.Equal("db:5432/d", PostgresStorage.DisplayNameOf(options));
        Assert.Equal("other", new NpgsqlConnectionStringBuilder(PostgresStorage.EffectiveConnectionString(options)).SearchPath);
    }
}
