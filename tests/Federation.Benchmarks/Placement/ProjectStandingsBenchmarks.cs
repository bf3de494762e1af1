using System.ComponentModel;
using BenchmarkDotNet.Attributes;
using Federation.Contracts;
using Federation.Grains.Projects;
using Federation.Scheduling;
using Microsoft.Extensions.Options;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>
/// What a router adds to each placement to decide a job's standing (issue 16), from its silo's cache of the project's
/// allocations (<see cref="ProjectStandings"/>; the entries are seeded, so no grain is called). <c>Unmanaged</c>: a
/// project without allocations, the common case, must allocate nothing. <c>Allocated</c>: a project with two
/// allocations; the standing's reason (a string the job's history keeps) is the only allocation.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*ProjectStandingsBenchmarks*'</c>.
/// </summary>
[Description("a router's standing decision from the silo's cached project allocations")]
[MemoryDiagnoser]
public class ProjectStandingsBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private ProjectStandings _standings = null!;
    private JobRequest _unmanaged = null!;
    private JobRequest _allocated = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The grain references are never used: every project asked is already cached, for a day.
        _standings = new ProjectStandings(null!, TimeProvider.System, Options.Create(new AllocationOptions { StandingRefresh = TimeSpan.FromDays(1) }));
        _standings.Update(new ProjectView { Id = "free" });
        _standings.Update(new ProjectView
        {
            Id = "kr-llm",
            Allocations =
            [
                new AllocationView { Term = "short", Class = "H100", AcceleratorHours = 500, UsedAcceleratorHours = 120.5, From = Now.AddDays(-10), Until = Now.AddDays(20) },
                new AllocationView { Term = "mid", Class = "any", AcceleratorHours = 5000, From = Now.AddDays(-10), Until = Now.AddDays(170) },
            ],
        });
        _unmanaged = new JobRequest { Project = "free", Accelerators = new AcceleratorRequest { Count = 8, Types = ["H100"] } };
        _allocated = _unmanaged with { Project = "kr-llm" };
    }

    [Benchmark(Baseline = true)]
    public AllocationStanding Unmanaged() => _standings.DecideAsync(_unmanaged, Now).GetAwaiter().GetResult().Standing;

    [Benchmark]
    public AllocationStanding Allocated() => _standings.DecideAsync(_allocated, Now).GetAwaiter().GetResult().Standing;
}
