using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Aggregation;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Regions;
using Federation.Scheduling;
using Federation.Storage;
using Federation.Storage.Hosting;
using Federation.Storage.Jobs;
using Federation.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Federation.Grains.Tests.Support;

/// <summary>
/// The grains on Orleans' in-process test cluster: one silo (two where calls must cross silos), the execution clock a
/// <see cref="ManualTimeProvider"/> the test advances, Orleans' own time the real clock (its membership, response
/// timeouts and grain timers run on the DI <see cref="TimeProvider"/>, which a test must not replace). The job store is
/// a <see cref="CountingStorage"/> every silo shares, as silos share one database; Orleans' grain storage (regions,
/// projects, the megaregion) is Orleans' memory storage, which lives in the cluster, or SQLite on a file when that state
/// must outlive the cluster (a restart).
/// </summary>
internal sealed class FederationTestHost : IAsyncDisposable
{
    /// <summary>How long a polling barrier waits for a state before the test fails: generous, the machine is shared.</summary>
    public static readonly TimeSpan PollDeadline = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private readonly InProcessTestCluster _cluster;

    private FederationTestHost(InProcessTestCluster cluster, ManualTimeProvider execution, ExecutionLog executor)
    {
        _cluster = cluster;
        Execution = execution;
        Executor = executor;
        Storage = Services(0).GetRequiredService<CountingStorage>();
    }

    public InProcessTestCluster Cluster => _cluster;

    public int SiloCount => _cluster.Silos.Count;

    public ManualTimeProvider Execution { get; }

    /// <summary>The job store (the first silo's when each silo opened its own SQLite file).</summary>
    public CountingStorage Storage { get; }

    /// <summary>Every call of the executors of every silo, with what the committed row said then.</summary>
    public ExecutionLog Executor { get; }

    /// <summary>The first silo's grain factory: what the tests call through, as a request served by that silo would.</summary>
    public IGrainFactory Grains => GrainsOf(0);

    /// <summary>The first silo's execution clock (every silo's reads the same <see cref="Execution"/>).</summary>
    public ExecutionClock Clock => Services(0).GetRequiredService<ExecutionClock>();

    public IMegaregionGrain Megaregion => Grains.GetGrain<IMegaregionGrain>(IMegaregionGrain.Key);

    /// <param name="storage">The job store; shared by every silo, and by a later cluster (a restart). Null: a new one in
    /// memory, or, with <paramref name="sqliteFile"/>, one over the SQLite job table of each silo.</param>
    /// <param name="execution">The execution clock; shared by a later cluster (a restart).</param>
    /// <param name="sqliteFile">Keep Orleans' grain state (and, without <paramref name="storage"/>, the job rows) in this
    /// SQLite file, so that it outlives the cluster; null keeps it in Orleans' memory storage.</param>
    /// <param name="serviceId">The cluster's service id, which keys the rows of SQLite storage: a restart passes the same.</param>
    /// <param name="siloRegions">The region each silo runs, by the silo's index (<c>Silo_N</c>, silos started later
    /// included); null (or a null entry, for every silo) is the embedded default's one silo for every region.</param>
    /// <param name="admission">Sets each silo's admission limits (the cap on queued jobs per project).</param>
    /// <param name="services">Last on each silo's services: replaces what the silo registered (a failing audit log).</param>
    public static async Task<FederationTestHost> StartAsync(
        CountingStorage? storage = null,
        ManualTimeProvider? execution = null,
        Action<FederationGrainsOptions>? configure = null,
        Megaregion? megaregion = null,
        short silos = 1,
        string? sqliteFile = null,
        string? serviceId = null,
        string?[]? siloRegions = null,
        Action<Projects.AllocationOptions>? allocations = null,
        Action<Admission.AdmissionOptions>? admission = null,
        Action<IServiceCollection>? services = null)
    {
        var configureServices = services;
        if (storage is null && sqliteFile is null)
        {
            storage = new CountingStorage();
        }

        if (storage is null && silos > 1)
        {
            // Each silo would count on a store of its own: the tests read one.
            throw new ArgumentException("several silos on SQLite need one job store passed in", nameof(storage));
        }

        execution ??= new ManualTimeProvider();
        var model = megaregion ?? TestMegaregion.Create();
        var log = new ExecutionLog();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        builder.ConfigureSilo((siloOptions, silo) =>
        {
            var services = silo.Services;
            if (sqliteFile is null)
            {
                silo.AddFederationMemoryStorage();
            }
            else
            {
                silo.AddFederationSqliteStorage(o => o.ConnectionString = $"Data Source={sqliteFile}");
            }

            // Registered after the storage's own job store, so that this one is the job store both ways it is resolved.
            if (storage is not null)
            {
                services.AddSingleton(storage);
            }
            else
            {
                services.AddSingleton(static sp => new CountingStorage(sp.GetRequiredService<FederationDatabases>().CreateJobStore(
                    sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                    new JobStoreOptions(),
                    new JsonRowSerializer())));
            }

            services.AddSingleton<IJobStore>(static sp => sp.GetRequiredService<CountingStorage>());
            services.AddKeyedSingleton<IGrainStorage>(StorageNames.Jobs, static (sp, _) => sp.GetRequiredService<CountingStorage>());
            services.AddSingleton(sp => new RecordingJobExecutor(
                new SimulatedJobExecutor(sp.GetRequiredService<ExecutionClock>(), sp.GetRequiredService<GrainReferences>()),
                sp.GetRequiredService<CountingStorage>(),
                log));
            services.AddSingleton<IJobExecutor>(static sp => sp.GetRequiredService<RecordingJobExecutor>());
            silo.AddFederationGrains(o =>
            {
                o.Megaregion = model;
                o.ExecutionClock = execution;
                o.LoadPublishInterval = TimeSpan.Zero;
                o.RebalanceInterval = TimeSpan.Zero;
                configure?.Invoke(o);
            },
            RegionOf(siloRegions, siloOptions.SiloName));
            if (allocations is not null)
            {
                services.Configure(allocations);
            }

            if (admission is not null)
            {
                services.Configure(admission);
            }

            configureServices?.Invoke(services);
        });

        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            if (silos > 1)
            {
                await cluster.WaitForLivenessToStabilizeAsync();
            }

            return new FederationTestHost(cluster, execution, log);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static string? RegionOf(string?[]? siloRegions, string siloName)
    {
        if (siloRegions is null)
        {
            return null;
        }

        var index = int.Parse(siloName[(siloName.LastIndexOf('_') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return index < siloRegions.Length ? siloRegions[index] : null;
    }

    /// <summary>Jobs with a notice from a region not yet handled, over every silo.</summary>
    public int UndeliveredNotices()
    {
        var pending = 0;
        for (var i = 0; i < SiloCount; i++)
        {
            pending += Services(i).GetRequiredService<NoticeDeliveries>().Pending;
        }

        return pending;
    }

    public IServiceProvider Services(int silo) => _cluster.Silos[silo].ServiceProvider;

    public IGrainFactory GrainsOf(int silo) => Services(silo).GetRequiredService<IGrainFactory>();

    public IJobGrain Job(string id) => Grains.GetGrain<IJobGrain>(id);

    public IRegionGrain Region(string id) => Grains.GetGrain<IRegionGrain>(id);

    public IProjectGrain Project(string id) => Grains.GetGrain<IProjectGrain>(id);

    public Task<JobSnapshot> SubmitAsync(JobRequest request) => SubmitAsync(Grains, request);

    /// <summary>Submits through <paramref name="grains"/> and checks that the submission was not a conflict.</summary>
    public static async Task<JobSnapshot> SubmitAsync(IGrainFactory grains, JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(request);
        var result = await grains.GetGrain<IJobGrain>(request.Id!).SubmitAsync(request);
        Assert.Null(result.Conflict);
        return result.Job!;
    }

    /// <summary>
    /// Advances the execution clock and waits until every callback it fired, on every silo, has finished its cascade, and
    /// (unless <paramref name="waitForNotices"/> is false, when a test stages an outage that holds them back) until every
    /// region has delivered the notices it sent meanwhile: a job's end or start reaches its row one-way, after the
    /// region's turn.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by, bool waitForNotices = true)
    {
        Execution.Advance(by);
        var clocks = new ExecutionClock[SiloCount];
        for (var i = 0; i < clocks.Length; i++)
        {
            clocks[i] = Services(i).GetRequiredService<ExecutionClock>();
        }

        // A callback on one silo may start work on another silo's clock, and a notice may lead to more: settled when
        // every clock is idle and no notice is pending, both seen at once.
        var deliveries = new NoticeDeliveries[SiloCount];
        for (var i = 0; i < deliveries.Length; i++)
        {
            deliveries[i] = Services(i).GetRequiredService<NoticeDeliveries>();
        }

        while (clocks.Any(static c => c.InFlight > 0) || (waitForNotices && deliveries.Any(static d => d.Pending > 0)))
        {
            var idle = clocks.Select(static c => c.WhenIdleAsync());
            if (waitForNotices)
            {
                idle = idle.Concat(deliveries.Select(static d => d.WhenDeliveredAsync()));
            }

            await Settled(Task.WhenAll(idle), $"the cascade of advancing the execution clock by {by}");
        }
    }

    /// <summary>Waits until every region has delivered every notice it sent (each job's handler returned).</summary>
    public async Task NoticesDeliveredAsync()
    {
        // A notice handled on one silo may make a region on another send one more: settled when none is pending anywhere.
        while (UndeliveredNotices() > 0)
        {
            var delivered = Enumerable.Range(0, SiloCount).Select(i => Services(i).GetRequiredService<NoticeDeliveries>().WhenDeliveredAsync());
            await Settled(Task.WhenAll(delivered), "every region delivering its notices");
        }
    }

    /// <summary>
    /// Sends every silo's pending statistics reports (submissions, usage, flows) and waits until each was answered: after
    /// it, the project and megaregion grains hold every count the jobs committed so far.
    /// </summary>
    public async Task FlushStatisticsAsync()
    {
        for (var i = 0; i < SiloCount; i++)
        {
            await Services(i).GetRequiredService<StatisticsReports>().FlushAsync();
        }
    }

    /// <summary>Awaits a barrier; one that does not complete within <see cref="PollDeadline"/> fails the test, naming it.</summary>
    private static async Task Settled(Task barrier, string what)
    {
        try
        {
            await barrier.WaitAsync(PollDeadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not settle in {PollDeadline.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds, for what only Orleans' own clock moves and no barrier can
    /// await: a grain timer's round (a region's reservation check after its confirmation deadline, its load published
    /// to the megaregion), or a notice retried after a backoff while a store write keeps failing. Everything the test
    /// drives has a barrier instead (<see cref="AdvanceAsync"/>, <see cref="NoticesDeliveredAsync"/>,
    /// <see cref="FlushStatisticsAsync"/>). Fails the test, naming what it waited for, after <see cref="PollDeadline"/>.
    /// </summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var deadline = new CancellationTokenSource(PollDeadline);
        while (!await condition())
        {
            try
            {
                await Task.Delay(PollInterval, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{what}: not so after {PollDeadline.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>The job's history kinds, with the region of each, for a failure message.</summary>
    public async Task<string> DescribeAsync(params string[] jobIds)
    {
        var parts = new List<string>();
        foreach (var id in jobIds)
        {
            var job = await Job(id).GetAsync();
            parts.Add(job is null ? $"{id}: no row" : $"{id}: {job.State} in {job.Region} ({string.Join(", ", job.History.Select(e => e.Kind + "@" + e.Region))})");
        }

        return string.Join("; ", parts);
    }

    /// <summary>
    /// Checks the accounting of every region against the jobs: busy accelerators equal the sum over the jobs running
    /// there, queued counts equal the jobs queued there, and no job is in two regions; and the executor never ran a job
    /// in a region its committed row did not name at that moment.
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
                busy[job.Region!] = busy.GetValueOrDefault(job.Region!) + job.Request.Accelerators.Count;
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _cluster.StopAllSilosAsync();
        }
        finally
        {
            await _cluster.DisposeAsync();
        }
    }
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
