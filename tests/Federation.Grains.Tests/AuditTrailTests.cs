using Federation.Contracts;
using Federation.Grains.Tests.Support;
using Federation.Storage.Audit;
using Federation.Storage.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;

namespace Federation.Grains.Tests;

/// <summary>
/// The audit entries of changes kept in Orleans' grain state (regions, projects, tokens, residency): stored with the
/// change, appended to the table before the call answers, and appended by the next change or activation when that
/// append failed or the process died first, once.
/// </summary>
public sealed class AuditTrailTests
{
    [Fact]
    public async Task A_change_names_the_actor_its_caller_set_and_without_one_the_system()
    {
        await using var host = await FederationTestHost.StartAsync();
        var region = host.Region("daegu");
        await region.SetDrainAsync(new DrainRequest { Drain = true, RequeueQueued = false });
        new AuditActor("cho", "operator", "10.0.4.17").MakeCurrent();
        try
        {
            await region.SetDrainAsync(new DrainRequest { Drain = false });
        }
        finally
        {
            Orleans.Runtime.RequestContext.Clear();
        }

        var entries = await EntriesAsync(host.Services(0).GetRequiredService<IAuditLog>());
        Assert.Equal(
            [("cho", "operator", "10.0.4.17", """{"drain":false,"requeueQueued":true}"""), ("system", "system", null, """{"drain":true,"requeueQueued":false}""")],
            entries.Select(e => (e.Actor, e.Role, e.Origin, e.After)).ToArray());
        Assert.All(entries, e => Assert.Equal(("region.drain", "region/daegu", "daegu"), (e.Action, e.Target, e.Region)));
    }

    [Fact]
    public async Task An_entry_whose_append_failed_is_appended_by_the_next_change_and_kept_once()
    {
        var log = new FailingAuditLog(new MemoryAuditLog()) { Failing = true };
        await using var host = await FederationTestHost.StartAsync(services: s => s.AddSingleton<IAuditLog>(log));
        var region = host.Region("daegu");

        // The change is made (and answered) though its entry could not be appended yet.
        var drained = await region.SetDrainAsync(new DrainRequest { Drain = true, RequeueQueued = false });
        Assert.True(drained.Draining);
        Assert.Empty(await EntriesAsync(log.Inner));

        log.Failing = false;
        await region.SetDrainAsync(new DrainRequest { Drain = false });
        await region.SetDrainAsync(new DrainRequest { Drain = true });

        var entries = await EntriesAsync(log.Inner);
        Assert.Equal(
            [@"{""drain"":true,""requeueQueued"":true}", @"{""drain"":false,""requeueQueued"":true}", @"{""drain"":true,""requeueQueued"":false}"],
            entries.Select(e => e.After!).ToArray());
        Assert.Equal([3L, 2L, 1L], entries.Select(e => e.Sequence).ToArray());
    }

    [Fact]
    public async Task An_entry_stored_with_its_change_reaches_the_table_when_the_grain_next_activates_after_its_process_stopped()
    {
        using var file = new TempSqliteFile();
        var serviceId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        FailingAuditLog? failing = null;
        await using (var first = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId, services: s => s.AddSingleton<IAuditLog>(sp =>
            failing = new FailingAuditLog(sp.GetRequiredService<FederationDatabases>().CreateAuditLog(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId)) { Failing = true })))
        {
            var project = first.Project("p-audit");
            Assert.Equal(5, (await project.SetPriorityAsync(5)).Priority);
            Assert.Empty(await EntriesAsync(failing!.Inner));
        }

        // Started again on the same files: the project's stored state holds the entry, appended when it activates.
        for (var restart = 0; restart < 2; restart++)
        {
            await using var again = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId);
            Assert.Equal(5, (await again.Project("p-audit").GetAsync()).Priority);
            var entry = Assert.Single(await EntriesAsync(again.Services(0).GetRequiredService<IAuditLog>()));
            Assert.Equal(("project.priority", "project/p-audit", """{"priority":0}""", """{"priority":5}"""), (entry.Action, entry.Target, entry.Before, entry.After));
        }
    }

    private static async Task<List<AuditRecord>> EntriesAsync(IAuditLog log) =>
        [.. (await log.QueryAsync(new AuditFilter(), IAuditLog.MaxPageSize, null)).Records];

    /// <summary>An audit log whose appends fail while <see cref="Failing"/> is set (the table unreachable).</summary>
    private sealed class FailingAuditLog(IAuditLog inner) : IAuditLog
    {
        public IAuditLog Inner => inner;

        public bool Failing { get; set; }

        public string Description => "failing over " + inner.Description;

        public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default) =>
            Failing ? Task.FromException(new InvalidOperationException("the audit table is unreachable (test)")) : inner.AppendAsync(records, cancellationToken);

        public Task<AuditPage> QueryAsync(AuditFilter filter, int limit, long? before, CancellationToken cancellationToken = default) =>
            inner.QueryAsync(filter, limit, before, cancellationToken);
    }
}
