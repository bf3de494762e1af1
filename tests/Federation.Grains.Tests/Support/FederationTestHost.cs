using System.Collections.Immutable;
using Federation.Actors;
using Federation.Actors.Storage;
using Federation.Actors.TestKit;
using Federation.Contracts;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Scheduling;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Grains.Tests.Support;

/// <summary>
/// One silo with the grains, two manual clocks (the runtime's and the execution clock) and a storage
/// that can be shared with a later host (a restart).
/// </summary>
internal sealed class FederationTestHost : IAsyncDisposable
{
    private FederationTestHost(TestSilo silo, ManualTimeProvider execution, CountingStorage storage)
    {
        Silo = silo;
        Execution = execution;
        Storage = storage;
    }

    public TestSilo Silo { get; }

    public ManualTimeProvider Execution { get; }

    public CountingStorage Storage { get; }

    public IGrainFactory Grains => Silo.GrainFactory;

    public ExecutionClock Clock => Silo.Services.GetRequiredService<ExecutionClock>();

    /// <summary>Every call of the executor, with what the committed row said then.</summary>
    public RecordingJobExecutor Executor => Silo.Services.GetRequiredService<RecordingJobExecutor>();

    public static async Task<FederationTestHost> StartAsync(
        CountingStorage? storage = null,
        ManualTimeProvider? execution = null,
        Action<FederationGrainsOptions>? configure = null,
        Megaregion? megaregion = null)
    {
        storage ??= new CountingStorage();
        execution ??= new ManualTimeProvider();
        var silo = await TestSilo.StartAsync(configureServices: services =>
        {
            services.AddKeyedSingleton<IGrainStorage>(FederationGrainsOptions.DefaultStorageName, storage);
            services.AddSingleton(sp => new RecordingJobExecutor(new SimulatedJobExecutor(sp.GetRequiredService<ExecutionClock>(), sp.GetRequiredService<IGrainFactory>()), storage));
            services.AddSingleton<IJobExecutor>(sp => sp.GetRequiredService<RecordingJobExecutor>());
            services.AddFederationGrains(o =>
            {
                o.Megaregion = megaregion ?? TestMegaregion.Create();
                o.ExecutionClock = execution;
                o.LoadPublishInterval = TimeSpan.Zero;
                o.RebalanceInterval = TimeSpan.Zero;
                configure?.Invoke(o);
            });
        });
        return new FederationTestHost(silo, execution, storage);
    }

    public IJobGrain Job(string id) => Grains.GetGrain<IJobGrain>(id);

    public IRegionGrain Region(string id) => Grains.GetGrain<IRegionGrain>(id);

    public IMegaregionGrain Megaregion => Grains.GetGrain<IMegaregionGrain>(IMegaregionGrain.Key);

    public async Task<JobView> SubmitAsync(JobRequest request)
    {
        var result = await Job(request.Id!).SubmitAsync(request);
        Assert.Null(result.Conflict);
        return result.Job!.ToView();
    }

    /// <summary>Advances the execution clock and waits until every callback it fired has finished its cascade.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Execution.Advance(by);
        await Clock.WhenIdleAsync();
    }

    /// <summary>Lets the routers' cached estimates age past the refresh period (runtime clock).</summary>
    public void AgeRouterSnapshots() => Silo.Time.Advance(TimeSpan.FromMilliseconds(300));

    /// <summary>
    /// Checks the accounting of every region against the jobs: busy accelerators equal the sum over the
    /// jobs running there, queued counts equal the jobs queued there, and no job is in two regions; and the
    /// executor never ran a job in a region its committed row did not name at that moment.
    /// </summary>
    public async Task AssertAccountingAsync(params string[] jobIds)
    {
        Assert.Empty(Executor.WithoutRow);
        var busy = new Dictionary<string, int>();
        var queued = new Dictionary<string, int>();
        foreach (var id in jobIds)
        {
            var job = await Job(id).GetAsync();
            Assert.NotNull(job);
            if (job.State == JobState.Running)
            {
                busy[job.Region!] = busy.GetValueOrDefault(job.Region!) + job.Accelerators.Count;
            }
            else if (job.State == JobState.Queued)
            {
                queued[job.Region!] = queued.GetValueOrDefault(job.Region!) + 1;
            }
        }

        foreach (var r in TestMegaregion.RegionIds)
        {
            var view = await Region(r).GetAsync();
            var poolBusy = 0;
            foreach (var p in view.Pools)
            {
                poolBusy += p.Busy;
            }

            Assert.Equal(busy.GetValueOrDefault(r), poolBusy);
            Assert.Equal(queued.GetValueOrDefault(r), view.QueuedJobs);
        }
    }

    public async ValueTask DisposeAsync() => await Silo.DisposeAsync();
}

/// <summary>A small megaregion with round numbers, so tests can assert exact figures.</summary>
internal static class TestMegaregion
{
    public static readonly ImmutableArray<string> RegionIds = ["gwangju", "suncheon", "gwangyang", "daegu"];

    /// <summary>
    /// gwangju: 8 H100 (offers 4); suncheon: 8 H100 (offers 8); gwangyang: 8 A100 40 GB (offers 8);
    /// daegu: 4 H100 (offers 4) and 8 NPUs. Every link 5 ms and 10 Gb/s, so 100 GB takes
    /// 0.005 + 800 / 7 = 114.2907 s.
    /// </summary>
    public static Megaregion Create()
    {
        static SpareCapacityOffer Offer(string type, int count) => new([new OfferedAccelerators(type, count)], 0, double.PositiveInfinity, false);
        ImmutableArray<Scheduling.Region> regions =
        [
            new("gwangju", "Gwangju", [new AcceleratorPool("H100", 8, 0.067, 80)], 107, false, Offer("H100", 4)),
            new("suncheon", "Suncheon", [new AcceleratorPool("H100", 8, 0.067, 80)], 20, true, Offer("H100", 8)),
            new("gwangyang", "Gwangyang", [new AcceleratorPool("A100", 8, 0.0195, 40)], 15, true, Offer("A100", 8)),
            new("daegu", "Daegu", [new AcceleratorPool("H100", 4, 0.067, 80), new AcceleratorPool("NPU", 8, 0.032, 16)], 30, true, Offer("H100", 4)),
        ];
        var links = ImmutableArray.CreateBuilder<Link>();
        for (var i = 0; i < regions.Length; i++)
        {
            for (var j = i + 1; j < regions.Length; j++)
            {
                links.Add(new Link(regions[i].Id, regions[j].Id, 5, 10));
            }
        }

        return new Megaregion(regions, links.ToImmutable());
    }

    public static JobRequest Job(
        string id,
        int count,
        double hours,
        string home = "gwangju",
        string? datasetRegion = null,
        double datasetGb = 0,
        ImmutableArray<string> allowed = default,
        string type = "H100",
        int priority = 0,
        string project = "p1") => new()
        {
            Id = id,
            Project = project,
            Owner = "kim",
            HomeRegion = home,
            Accelerators = new AcceleratorRequest { Count = count, Types = [type] },
            DurationHours = hours,
            Dataset = datasetRegion is null ? null : new DatasetRef { Region = datasetRegion, SizeGb = datasetGb },
            AllowedRegions = allowed.IsDefault ? [] : allowed,
            Priority = priority,
        };
}
