using Federation.Storage;
using Federation.Storage.Hosting;
using Federation.TestKit.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Storage;

namespace Federation.Server.Tests.Support;

/// <summary>
/// A bare silo with the server's SQLite storage on a job file of the caller's, for code that takes Orleans' grain
/// storage directly (the execution clock keeper): the real provider on real files, with no grains and no API. Start
/// another on the same file for a restart.
/// </summary>
internal sealed class GrainStateSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private GrainStateSilo(IHost host)
    {
        _host = host;
        Storage = host.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState);
    }

    /// <summary>Orleans' "Default" grain storage of the silo, as the server's keeper gets it.</summary>
    public IGrainStorage Storage { get; }

    public static async Task<GrainStateSilo> StartAsync(string jobFile)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePorts.Next(), FreePorts.Next(), serviceId: FederationServer.ServiceId, clusterId: FederationServer.ServiceId);
            silo.AddFederationSqliteStorage(o => o.ConnectionString = new SqliteConnectionStringBuilder { DataSource = jobFile }.ToString());
        });
        var host = builder.Build();
        await host.StartAsync();
        return new GrainStateSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
