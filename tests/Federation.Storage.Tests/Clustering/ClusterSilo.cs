using System.Net;
using Federation.Storage.Hosting;
using Federation.Storage.Postgres;
using Federation.Storage.Tests.Hosting;
using Federation.TestKit.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Federation.Storage.Tests.Clustering;

/// <summary>
/// One real Orleans silo on a generic host that joins a cluster through <c>AddFederationPostgresClustering</c>, on loopback
/// ports of its own, optionally with the PostgreSQL storage on the same options. Disposing stops it (it leaves the
/// cluster as dead) and disposes its container.
/// </summary>
public sealed class ClusterSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterSilo(IHost host, int siloPort, int gatewayPort)
    {
        _host = host;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public IServiceProvider Services => _host.Services;

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>Builds a silo of cluster <paramref name="clusterId"/> on <paramref name="options"/>' database and schema, not started.</summary>
    public static ClusterSilo Build(string clusterId, PostgresStorageOptions options, bool withStorage)
    {
        ArgumentNullException.ThrowIfNull(options);
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = TestSilo.ServiceId;
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
            silo.AddFederationPostgresClustering(o => Copy(options, o));
            if (withStorage)
            {
                silo.AddFederationPostgresStorage(o => Copy(options, o));
            }
        });
        return new ClusterSilo(builder.Build(), siloPort, gatewayPort);
    }

    public Task StartAsync() => _host.StartAsync();

    /// <summary>
    /// Waits until this silo's view of the membership holds exactly <paramref name="active"/> active silos, and returns
    /// that view. Orleans publishes each new view; the wait ends at the first that matches.
    /// </summary>
    public async Task<ClusterMembershipSnapshot> ActiveMembersAsync(int active, CancellationToken cancellationToken)
    {
        var membership = Services.GetRequiredService<IClusterMembershipService>();
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
        {
            if (snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == active)
            {
                return snapshot;
            }
        }

        throw new InvalidOperationException("The silo's membership updates ended.");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync();
        }
        finally
        {
            if (_host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                _host.Dispose();
            }
        }
    }

    private static void Copy(PostgresStorageOptions from, PostgresStorageOptions to)
    {
        to.ConnectionString = from.ConnectionString;
        to.Schema = from.Schema;
        to.MaxPoolSize = from.MaxPoolSize;
        to.ConnectTimeout = from.ConnectTimeout;
        to.CommandTimeout = from.CommandTimeout;
    }
}
