using Federation.Actors.AdoNet.Postgres;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Federation.TestKit.Postgres;

public sealed class PostgresRegistrationTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _schema.DisposeAsync().AsTask();

    [Fact]
    public async Task AddPostgresGrainStorageRegistersKeyedProvidersAndCreatesTheSchemaOnStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPostgresGrainStorage(o => Configure(o));
        builder.Services.AddPostgresGrainStorage("archive", o => Configure(o).DeleteStateOnClear = true);
        using var host = builder.Build();

        await host.StartAsync();

        Assert.Equal([1L], await _schema.QueryAsync("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'orleansstorage'", r => r.GetInt64(0)));
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
        Assert.True((await ((IStorageHealthCheck)byDefault).CheckHealthAsync()).IsHealthy);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddPostgresReminderTableRegistersTheSingletonAndCreatesTheSchemaOnStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPostgresReminderTable(o => Configure(o).ServiceId = "megaregion");
        using var host = builder.Build();

        await host.StartAsync();

        var table = Assert.IsType<AdoNetReminderTable>(host.Services.GetRequiredService<IReminderTable>());
        var grain = GrainId.Create(new GrainType("region"), "daegu");
        await table.UpsertRowAsync(new ReminderEntry(grain, "r", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1)));
        Assert.Equal([1L], await _schema.QueryAsync("SELECT count(*) FROM orleansreminderstable WHERE serviceid = 'megaregion'", r => r.GetInt64(0)));
        await host.StopAsync();
    }

    [Fact]
    public async Task AMissingConnectionStringStopsTheHostAtStartNamingTheOption()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPostgresGrainStorage("archive", _ => { });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("archive", error.OptionsName);
        Assert.StartsWith("PostgresStorageOptions.ConnectionString must be set", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableServerStopsTheHostAtStartWithTheTypedError()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPostgresGrainStorage(o => o.ConnectionString = "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(() => host.StartAsync());

        Assert.True(error.IsUnreachable);
    }

    private PostgresStorageOptions Configure(PostgresStorageOptions options)
    {
        var test = _schema.Options();
        options.ConnectionString = test.ConnectionString;
        options.Schema = test.Schema;
        options.MaxPoolSize = test.MaxPoolSize;
        return options;
    }
}
