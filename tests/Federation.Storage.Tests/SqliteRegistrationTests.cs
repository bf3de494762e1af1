using Federation.Actors.AdoNet.Sqlite;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Federation.Actors.AdoNet.Tests;

public sealed class SqliteRegistrationTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task AddSqliteGrainStorageRegistersKeyedProvidersAndCreatesTheSchemaOnStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSqliteGrainStorage(o => o.ConnectionString = _database.ConnectionString);
        builder.Services.AddSqliteGrainStorage("archive", o =>
        {
            o.ConnectionString = _database.ConnectionString;
            o.DeleteStateOnClear = true;
        });
        using var host = builder.Build();

        await host.StartAsync();

        Assert.True(File.Exists(_database.FilePath));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM sqlite_master WHERE name = 'orleansstorage'"));
        var byDefault = host.Services.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default);
        var archive = host.Services.GetRequiredKeyedService<IGrainStorage>("archive");
        Assert.Equal("Default", Assert.IsType<AdoNetGrainStorage>(byDefault).Name);
        Assert.Equal("archive", Assert.IsType<AdoNetGrainStorage>(archive).Name);
        Assert.IsType<JsonGrainStorageSerializer>(host.Services.GetRequiredService<IGrainStorageSerializer>());

        var grain = GrainId.Create(new GrainType("counter"), "k");
        var kept = new GrainState<int>(1);
        await byDefault.WriteStateAsync("kept", grain, kept);
        await byDefault.ClearStateAsync("kept", grain, kept);
        var deleted = new GrainState<int>(1);
        await archive.WriteStateAsync("deleted", grain, deleted);
        await archive.ClearStateAsync("deleted", grain, deleted);
        Assert.Equal("2", kept.ETag);
        Assert.Null(deleted.ETag);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddSqliteReminderTableRegistersTheSingletonAndCreatesTheSchemaOnStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSqliteReminderTable(o =>
        {
            o.ConnectionString = _database.ConnectionString;
            o.ServiceId = "megaregion";
        });
        using var host = builder.Build();

        await host.StartAsync();

        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM sqlite_master WHERE name = 'orleansreminderstable'"));
        var table = host.Services.GetRequiredService<IReminderTable>();
        Assert.IsType<AdoNetReminderTable>(table);
        var grain = GrainId.Create(new GrainType("region"), "daegu");
        await table.UpsertRowAsync(new ReminderEntry(grain, "r", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1)));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM orleansreminderstable WHERE serviceid = 'megaregion'"));
        await host.StopAsync();
    }

    [Fact]
    public async Task AMissingConnectionStringStopsTheHostAtStartNamingTheOption()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSqliteGrainStorage("archive", _ => { });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("archive", error.OptionsName);
        Assert.StartsWith("SqliteStorageOptions.ConnectionString must be set", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnwritablePathStopsTheHostAtStart()
    {
        var blocker = Path.Combine(_database.Directory, "file");
        await File.WriteAllTextAsync(blocker, "x");
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSqliteGrainStorage(o => o.ConnectionString = "Data Source=" + Path.Combine(blocker, "state.db"));
        using var host = builder.Build();

        await Assert.ThrowsAsync<AdoNetStorageException>(() => host.StartAsync());
    }

    [Fact]
    public async Task AContainerDisposedSynchronouslyClosesTheDatabase()
    {
        var services = new ServiceCollection();
        services.AddSqliteGrainStorage(o => o.ConnectionString = _database.ConnectionString);
        services.AddSqliteReminderTable(o => o.ConnectionString = _database.ConnectionString);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default)
            .WriteStateAsync("s", GrainId.Create(new GrainType("counter"), "k"), new GrainState<int>(1));
        await provider.GetRequiredService<IReminderTable>().InitAsync();

        provider.Dispose();

        // With every connection closed, the last one to close checkpoints and removes the WAL file.
        Assert.False(File.Exists(_database.FilePath + "-wal"));
    }

    [Fact]
    public async Task ProvidersOnOneFileShareOneDatabaseAndItsWriter()
    {
        var services = new ServiceCollection();
        services.AddSqliteGrainStorage(o => o.ConnectionString = _database.ConnectionString);
        services.AddSqliteGrainStorage("archive", o =>
        {
            o.ConnectionString = "Data Source=" + Path.Combine(_database.Directory, ".", "state.db");
            o.DeleteStateOnClear = true;
        });
        services.AddSqliteGrainStorage("other-settings", o =>
        {
            o.ConnectionString = _database.ConnectionString;
            o.Synchronous = SqliteSynchronousMode.Normal;
        });
        services.AddSqliteReminderTable(o => o.ConnectionString = _database.ConnectionString);
        await using var provider = services.BuildServiceProvider();

        var byDefault = (AdoNetGrainStorage)provider.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default);
        var archive = (AdoNetGrainStorage)provider.GetRequiredKeyedService<IGrainStorage>("archive");
        var otherSettings = (AdoNetGrainStorage)provider.GetRequiredKeyedService<IGrainStorage>("other-settings");
        var reminders = (AdoNetReminderTable)provider.GetRequiredService<IReminderTable>();

        Assert.Same(byDefault.Database, archive.Database);
        Assert.Same(byDefault.Database, reminders.Database);
        Assert.NotSame(byDefault.Database, otherSettings.Database);
    }

    [Fact]
    public async Task ASharedDatabaseClosesWhenItsLastProviderIsDisposed()
    {
        var databases = new SqliteDatabases();
        var options = new SqliteStorageOptions { ConnectionString = _database.ConnectionString };
        var storage = SqliteStorage.CreateGrainStorage("a", options, new JsonGrainStorageSerializer(), databases: databases);
        var table = SqliteStorage.CreateReminderTable(options, databases: databases);
        await storage.WriteStateAsync("s", GrainId.Create(new GrainType("counter"), "k"), new GrainState<int>(1));

        await storage.DisposeAsync();
        await storage.DisposeAsync();

        // Disposing one provider (twice) leaves the database open for the other.
        Assert.False(table.Database.IsDisposed);
        await table.UpsertRowAsync(new ReminderEntry(GrainId.Create(new GrainType("region"), "daegu"), "r", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1)));
        await table.DisposeAsync();
        Assert.True(table.Database.IsDisposed);
        Assert.False(File.Exists(_database.FilePath + "-wal"));

        // A provider created afterwards opens the file afresh.
        await using var reopened = SqliteStorage.CreateGrainStorage("b", options, new JsonGrainStorageSerializer(), databases: databases);
        Assert.NotSame(table.Database, reopened.Database);
        var read = new GrainState<int>(0);
        await reopened.ReadStateAsync("s", GrainId.Create(new GrainType("counter"), "k"), read);
        Assert.Equal(1, read.State);
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
