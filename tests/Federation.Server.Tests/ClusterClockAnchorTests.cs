using Federation.Server.Hosting;
using Federation.Server.Tests.Support;
using Federation.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Federation.Server.Tests;

/// <summary>
/// The silos of a cluster run one simulated time from one anchor row: the first silo writes it, every later one (and
/// every restart) takes it, and a silo with another time scale refuses to start. Written to the server's own grain
/// storage, on SQLite files of the test's, in a silo.
/// </summary>
public sealed class ClusterClockAnchorTests : IDisposable
{
    private static readonly DateTimeOffset Start = ManualTimeProvider.DefaultStart;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"fed-{Guid.NewGuid():N}");

    public ClusterClockAnchorTests()
    {
        Directory.CreateDirectory(_folder);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Silos_started_at_different_times_share_the_first_silos_anchor_and_a_restart_keeps_it()
    {
        await using var silo = await GrainStateSilo.StartAsync(Path.Combine(_folder, "federation.db"));
        var wall = new ManualTimeProvider();
        var first = new ScaledTimeProvider(wall, 600);
        await new ClusterClockAnchor(silo.Storage, first, wall, new CapturingLoggerProvider().CreateLogger("clock")).StartAsync(CancellationToken.None);
        Assert.Equal(Start, first.GetUtcNow());

        // A second silo starts 10 wall seconds later: it reads 100 simulated minutes on, as the first does.
        wall.Advance(TimeSpan.FromSeconds(10));
        var second = new ScaledTimeProvider(wall, 600);
        await new ClusterClockAnchor(silo.Storage, second, wall, new CapturingLoggerProvider().CreateLogger("clock")).StartAsync(CancellationToken.None);
        Assert.Equal((Start.AddMinutes(100), Start.AddMinutes(100)), (first.GetUtcNow(), second.GetUtcNow()));

        // Restarted an hour of wall time later, a silo is where the cluster's time is: on, never back.
        wall.Advance(TimeSpan.FromHours(1));
        var restarted = new ScaledTimeProvider(wall, 600);
        await new ClusterClockAnchor(silo.Storage, restarted, wall, new CapturingLoggerProvider().CreateLogger("clock")).StartAsync(CancellationToken.None);
        Assert.Equal(Start.AddSeconds((10 + 3600) * 600), restarted.GetUtcNow());
    }

    [Fact]
    public async Task A_silo_with_another_time_scale_refuses_to_start_naming_the_clusters()
    {
        await using var silo = await GrainStateSilo.StartAsync(Path.Combine(_folder, "federation.db"));
        var wall = new ManualTimeProvider();
        await new ClusterClockAnchor(silo.Storage, new ScaledTimeProvider(wall, 600), wall, new CapturingLoggerProvider().CreateLogger("clock")).StartAsync(CancellationToken.None);

        var other = new ClusterClockAnchor(silo.Storage, new ScaledTimeProvider(wall, 1), wall, new CapturingLoggerProvider().CreateLogger("clock"));
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => other.StartAsync(CancellationToken.None));

        Assert.StartsWith("Federation:TimeScale (--time-scale) is 1, but the cluster's simulated time runs at 600", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("start every silo of the cluster with --time-scale 600.", e.Message, StringComparison.Ordinal);
    }
}
