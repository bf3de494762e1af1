using System.Net;
using System.Text.Json.Nodes;
using Federation.Contracts;
using Federation.Server.Hosting;
using Federation.Storage;
using Federation.Storage.Postgres;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Federation.Server.Tests;

/// <summary>The server on PostgreSQL (<c>--storage postgres</c>): configuration, durability across a restart, secrets.</summary>
public sealed class PostgresServerTests : IAsyncLifetime
{
    private const string Secret = "s3cret-never-logged";

    private PostgresTestDatabase _database = null!;

    public Task InitializeAsync()
    {
        _database = new PostgresTestDatabase();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task On_PostgreSQL_a_job_is_stored_listed_and_survives_a_restart_of_the_server()
    {
        await using (var first = await ServerHost.StartAsync(null, _database.Args()))
        {
            using var created = await first.PostJsonAsync("api/jobs", Jobs.Request("pg-durable-1").ToJsonString());
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var job = await ServerHost.ReadAsync<JobView>(await first.Client.GetAsync("api/jobs/pg-durable-1"));
            Assert.Equal("gwangju", job.Region);
            var list = await first.GetJsonAsync("api/jobs?region=gwangju");
            Assert.Equal(["pg-durable-1"], list["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
            var health = await first.GetJsonAsync("health");
            Assert.Equal("Healthy", health["status"]!.GetValue<string>());
            Assert.Equal("postgres", health["storage"]!.GetValue<string>());
        }

        Assert.Equal(1, await _database.CountJobRowsAsync("pg-durable-1"));
        await using var second = await ServerHost.StartAsync(null, _database.Args());
        var again = await ServerHost.ReadAsync<JobView>(await second.Client.GetAsync("api/jobs/pg-durable-1"));
        var listed = await second.GetJsonAsync("api/jobs?region=gwangju");
        using var repeat = await second.PostJsonAsync("api/jobs", Jobs.Request("pg-durable-1").ToJsonString());

        Assert.Equal("pg-durable-1", again.Id);
        Assert.Equal("gwangju", again.Region);
        Assert.Equal(JobState.Running, again.State);
        Assert.Equal(["pg-durable-1"], listed["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);

        // The region rebuilt its occupancy from the stored rows: the job's 8 accelerators are busy there.
        var region = await second.GetJsonAsync("api/regions/gwangju");
        Assert.Equal(8, region["pools"]!.AsArray().Sum(p => p!["busy"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Health_names_the_database_but_never_the_user_or_password()
    {
        await using var server = await ServerHost.StartAsync(null, _database.Args());

        var health = await server.GetJsonAsync("health");

        var settings = new Npgsql.NpgsqlConnectionStringBuilder(_database.ConnectionString);
        Assert.Equal($"{settings.Host}:{settings.Port}/{settings.Database} (schema {_database.Schema})", health["database"]!.GetValue<string>());
        Assert.DoesNotContain("Password", health.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unreachable_database_at_start_stops_the_server_without_logging_the_password()
    {
        var logs = new CapturingLoggerProvider();
        var connection = $"Host=127.0.0.1;Port=1;Username=federation;Password={Secret};Database=nowhere";

        var e = await Assert.ThrowsAnyAsync<Exception>(() => ServerHost.StartAsync(null, logs, ["--storage", "postgres", "--connection", connection]));

        Assert.Contains("127.0.0.1:1/nowhere", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal);
        Assert.Contains(logs.Entries, l => l.Contains("storage postgres (127.0.0.1:1/nowhere)", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, l => l.Contains(Secret, StringComparison.Ordinal));
    }
}

/// <summary><c>--storage postgres</c> configuration: each error names the option and never repeats the password.</summary>
public sealed class PostgresOptionsTests
{
    private const string Secret = "s3cret-never-logged";

    [Fact]
    public void Postgres_without_a_connection_string_fails_naming_the_option()
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(["--storage", "postgres"]));

        Assert.Contains("Federation:Connection (--connection) is required with postgres storage", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=db;Username=u;Password=" + Secret + ";Bogus=1")]
    [InlineData("Password=" + Secret + ";Host")]
    [InlineData("Host=db;Password=" + Secret + ";Port=not-a-port")]
    public void A_malformed_connection_string_fails_naming_the_option_without_the_password(string connection)
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(["--storage", "postgres", "--connection", connection]));

        Assert.Contains("Federation:Connection (--connection) is not a valid PostgreSQL connection string", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_string_without_a_host_fails_naming_the_option()
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(["--storage", "postgres", "--connection", $"Username=u;Password={Secret}"]));

        Assert.Contains("Federation:Connection (--connection) must name the PostgreSQL server with Host=", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--schema", "Bad-Name", "Federation:Schema (--schema) must be a lower-case identifier")]
    [InlineData("--Federation:StoreConnectTimeout", "00:00:00", "Federation:StoreConnectTimeout must be between 1 s and 1024 s")]
    [InlineData("--Federation:StoreCommandTimeout", "00:00:00.5", "Federation:StoreCommandTimeout must be between 1 s and 600 s")]
    [InlineData("--Federation:StoreMaxPoolSize", "0", "Federation:StoreMaxPoolSize must be between 1 and 1024")]
    public void A_bad_postgres_option_fails_naming_it(string flag, string value, string message)
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(["--storage", "postgres", "--connection", "Host=db;Database=d", flag, value]));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_without_postgres_storage_fails_naming_the_option()
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(["--storage", "memory", "--schema", "federation"]));

        Assert.Contains("Federation:Schema (--schema) applies to postgres storage only", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_settings_reach_the_providers_with_the_short_timeouts_and_a_password_free_description()
    {
        var options = new FederationServerOptions
        {
            Storage = StorageKind.Postgres,
            Connection = $"Host=db.example.org;Port=6432;Username=federation;Password={Secret};Database=fed",
            Schema = "federation",
        };
        var settings = ServerSettings.Resolve(options);
        var provider = new PostgresStorageOptions();

        settings.ConfigurePostgres(provider);

        Assert.Equal("postgres (db.example.org:6432/fed (schema federation))", settings.StorageDescription);
        Assert.Equal(options.Connection, provider.ConnectionString);
        Assert.Equal("federation", provider.Schema);
        Assert.Equal(FederationServerOptions.DefaultStoreConnectTimeout, provider.ConnectTimeout);
        Assert.Equal(FederationServerOptions.DefaultStoreCommandTimeout, provider.CommandTimeout);
        Assert.Equal(FederationServerOptions.DefaultStoreMaxPoolSize, provider.MaxPoolSize);
        Assert.True(provider.CommandTimeout < new SiloMessagingOptions().ResponseTimeout);
    }
}
