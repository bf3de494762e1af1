using System.Diagnostics;
using System.Globalization;

namespace Federation.Benchmarks.Http;

/// <summary>
/// CPU used so far by the whole machine, by PostgreSQL's processes and by the given server processes, read from
/// <c>/proc</c> (Linux): the difference of two snapshots says where a measured window's CPU went. On a 2-core machine
/// with the servers, PostgreSQL and the load generator on the same cores, that is what tells a slow server from a
/// machine with no CPU left. Elsewhere (no <c>/proc</c>) the machine and PostgreSQL figures are absent.
/// </summary>
internal sealed class CpuSnapshot
{
    private CpuSnapshot(long busyTicks, long totalTicks, long postgresTicks, TimeSpan[] servers, long timestamp)
    {
        BusyTicks = busyTicks;
        TotalTicks = totalTicks;
        PostgresTicks = postgresTicks;
        Servers = servers;
        Timestamp = timestamp;
    }

    /// <summary>Jiffies of all cores not idle (user, nice, system, irq, softirq, steal); -1 without <c>/proc/stat</c>.</summary>
    public long BusyTicks { get; }

    /// <summary>Jiffies of all cores, idle and I/O wait included.</summary>
    public long TotalTicks { get; }

    /// <summary>User and system jiffies of the processes named <c>postgres</c> that are alive now.</summary>
    public long PostgresTicks { get; }

    /// <summary>CPU time of each server process given, in their order (zero for one that has exited).</summary>
    public TimeSpan[] Servers { get; }

    public long Timestamp { get; }

    public static CpuSnapshot Take(IReadOnlyList<int> serverPids)
    {
        var servers = new TimeSpan[serverPids.Count];
        for (var k = 0; k < servers.Length; k++)
        {
            servers[k] = ProcessCpu(serverPids[k]);
        }

        var (busy, total) = MachineTicks();
        return new CpuSnapshot(busy, total, ReadPostgresTicks(), servers, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// What was used between <paramref name="before"/> and <paramref name="after"/>, as percentages of one core
    /// (200 % is both cores of a 2-core machine): the machine, PostgreSQL, and each server.
    /// </summary>
    public static (double? Machine, double? Postgres, double[] Servers) Used(CpuSnapshot before, CpuSnapshot after)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var servers = new double[before.Servers.Length];
        for (var k = 0; k < servers.Length; k++)
        {
            servers[k] = 100 * (after.Servers[k] - before.Servers[k]).TotalSeconds / seconds;
        }

        var total = after.TotalTicks - before.TotalTicks;
        if (before.BusyTicks < 0 || after.BusyTicks < 0 || total <= 0)
        {
            return (null, null, servers);
        }

        // Jiffies of all cores over the window: one core's worth is total / cores.
        var perCore = (double)total / Environment.ProcessorCount;
        var postgres = Math.Max(0, after.PostgresTicks - before.PostgresTicks);
        return (100 * (after.BusyTicks - before.BusyTicks) / perCore, 100 * postgres / perCore, servers);
    }

    private static TimeSpan ProcessCpu(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    private static (long Busy, long Total) MachineTicks()
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is already in user.
            var line = File.ReadLines("/proc/stat").First();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long At(int i) => i < f.Length ? long.Parse(f[i], CultureInfo.InvariantCulture) : 0;
            var idle = At(4) + At(5);
            var busy = At(1) + At(2) + At(3) + At(6) + At(7) + At(8);
            return (busy, busy + idle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return (-1, -1);
        }
    }

    private static long ReadPostgresTicks()
    {
        long ticks = 0;
        try
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(directory);
                if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
                {
                    continue;
                }

                try
                {
                    // "pid (comm) state ppid ..." with utime and stime the 14th and 15th fields; comm may hold spaces.
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    var open = stat.IndexOf('(', StringComparison.Ordinal);
                    var close = stat.LastIndexOf(')');
                    if (open < 0 || close < open || stat.AsSpan(open + 1, close - open - 1) is not "postgres")
                    {
                        continue;
                    }

                    var rest = stat[(close + 2)..].Split(' ');
                    ticks += long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
                {
                    // The process ended while it was read.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        return ticks;
    }
}
