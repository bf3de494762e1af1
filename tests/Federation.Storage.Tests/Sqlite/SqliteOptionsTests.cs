using Federation.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Federation.Storage.Tests.Sqlite;

/// <summary>Options validation needs no file: every message names the bad option and never repeats a password.</summary>
public sealed class SqliteOptionsTests
{
    private const string Secret = "hunter2-never-repeated";

    [Theory]
    [InlineData(null, "SqliteStorageOptions.ConnectionString must be set")]
    [InlineData(" ", "SqliteStorageOptions.ConnectionString must be set")]
    [InlineData("Data Source=:memory:", "SqliteStorageOptions.ConnectionString must name a database file")]
    [InlineData("Data Source=x.db;Mode=Memory", "SqliteStorageOptions.ConnectionString must name a database file")]
    [InlineData("Data Source=x.db;Mode=ReadOnly", "SqliteStorageOptions.ConnectionString must not use Mode=ReadOnly")]
    [InlineData("Data Source=x.db;Password=" + Secret + ";Bogus=1", "SqliteStorageOptions.ConnectionString is not a valid SQLite connection string")]
    public void InvalidConnectionStringsAreRejectedByName(string? connectionString, string expected)
    {
        var result = new SqliteStorageOptionsValidator().Validate("Default", new SqliteStorageOptions { ConnectionString = connectionString });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryBadOptionIsNamed()
    {
        var options = new SqliteStorageOptions
        {
            ConnectionString = "Data Source=/var/lib/federation/federation.db",
            GrainStateConnectionString = "Data Source=:memory:",
            BusyTimeout = TimeSpan.Zero,
            MaxReadConnections = 65,
            Synchronous = (SqliteSynchronousMode)7,
        };

        var error = Assert.Throws<OptionsValidationException>(() => SqliteStorageOptionsValidator.ThrowIfInvalid("Default", options));

        Assert.Equal(
            [
                "SqliteStorageOptions.GrainStateConnectionString must name a database file: an in-memory database is private to one connection, and the store uses several.",
                $"SqliteStorageOptions.BusyTimeout must be positive and at most {TimeSpan.FromMilliseconds(int.MaxValue)}; it is 00:00:00.",
                "SqliteStorageOptions.MaxReadConnections must be between 1 and 64; it is 65.",
                "SqliteStorageOptions.Synchronous must be Normal or Full; it is 7.",
            ],
            error.Failures);
        Assert.Equal("Default", error.OptionsName);
    }

    [Fact]
    public void DefaultsAreTheNamedConstants()
    {
        var options = new SqliteStorageOptions();

        Assert.Null(options.ConnectionString);
        Assert.Null(options.GrainStateConnectionString);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BusyTimeout);
        Assert.Equal(4, options.MaxReadConnections);
        Assert.Equal(SqliteSynchronousMode.Full, options.Synchronous);
        Assert.True(new SqliteStorageOptionsValidator().Validate("Default", new SqliteStorageOptions { ConnectionString = "Data Source=f.db" }).Succeeded);
    }

    [Fact]
    public void OrleansGrainStateGoesToAFileBesideTheJobFileUnlessSet()
    {
        var options = new SqliteStorageOptions { ConnectionString = "Data Source=/var/lib/federation/federation.db;Cache=Shared", BusyTimeout = TimeSpan.FromMilliseconds(2500) };

        var beside = new SqliteConnectionStringBuilder(options.EffectiveGrainStateConnectionString());
        var orleans = new SqliteConnectionStringBuilder(SqliteStorage.OrleansConnectionString(options));
        options.GrainStateConnectionString = "Data Source=/srv/state/grains.db";
        var set = new SqliteConnectionStringBuilder(options.EffectiveGrainStateConnectionString());

        Assert.Equal("/var/lib/federation/federation.orleans.db", SqliteStorageOptions.GrainStateFileOf("/var/lib/federation/federation.db"));
        Assert.Equal("/var/lib/federation/state.orleans.db", SqliteStorageOptions.GrainStateFileOf("/var/lib/federation/state"));
        Assert.Equal(("/var/lib/federation/federation.orleans.db", SqliteCacheMode.Shared), (beside.DataSource, beside.Cache));
        Assert.Equal(("/var/lib/federation/federation.orleans.db", 3), (orleans.DataSource, orleans.DefaultTimeout));
        Assert.Equal("/srv/state/grains.db", set.DataSource);
        Assert.Equal("/var/lib/federation/federation.db", SqliteStorageOptionsValidator.DataSourceOf(options));
    }
}
