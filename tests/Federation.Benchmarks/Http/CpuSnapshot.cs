using System.Diagnostics;
using System.Globalization;

namespace Federation.Benchmarks.Http;

/// <summary>
/// CPU used so far by the whole machine, by PostgreSQL's processes and by the given server processes, read from
/// <c>/proc</c> (Linux): the difference of two snapshots says where a measured window's CPU went. On a 2-core machine
/// with the servers, PostgreSQL and the load generator on the same cores, that is what tells a slow server from a
/// machine with no CPU left, and what the machine spent on anything else (another process, the kernel) tells a quiet
/// machine from a shared one. Elsewhere (no <c>/proc</c>) the machine and PostgreSQL figures are absent.
/// </summary>
internal sealed class CpuSnapshot
{
    /// <summary>
    /// USER_HZ, the unit of <c>/proc/stat</c> and <c>/proc/[pid]/stat</c>: 100 on every architecture .NET runs Linux on.
    /// </summary>
    private const double TicksPerSecond = 100;

    private CpuSnapshot(long idleTicks, long postgresTicks, TimeSpan[] servers, TimeSpan generator, long timestamp)
    {
        IdleTicks = idleTicks;
        PostgresTicks = postgresTicks;
        Servers = servers;
        Generator = generator;
        Timestamp = timestamp;
    }

    /// <summary>
    /// Idle and I/O-wait ticks of all cores; -1 without <c>/proc/stat</c>. The machine's busy time is the wall-clock time
    /// of its cores less these: the kernel measures idle time exactly on a tickless machine, while its user and system
    /// counts are samples at ticks, which here missed a fifth of the busy time of a server answering on loopback.
    /// </summary>
    public long IdleTicks { get; }

    /// <summary>User and system jiffies of the processes named <c>postgres</c> that are alive now.</summary>
    public long PostgresTicks { get; }

    /// <summary>CPU time of each server process given, in their order (zero for one that has exited).</summary>
    public TimeSpan[] Servers { get; }

    /// <summary>CPU time of this process (the load generator, and the server when it runs in process).</summary>
    public TimeSpan Generator { get; }

    public long Timestamp { get; }

    public static CpuSnapshot Take(IReadOnlyList<int> serverPids)
    {
        var servers = new TimeSpan[serverPids.Count];
        for (var k = 0; k < servers.Length; k++)
        {
            servers[k] = ProcessCpu(serverPids[k]);
        }

        using var self = Process.GetCurrentProcess();
        return new CpuSnapshot(IdleTicksNow(), ReadPostgresTicks(), servers, self.TotalProcessorTime, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// What was used between <paramref name="before"/> and <paramref name="after"/>, as percentages of one core
    /// (200 % is both cores of a 2-core machine): the machine, PostgreSQL, each server and this process.
    /// </summary>
    public static (double? Machine, double? Postgres, double[] Servers, double Generator) Used(CpuSnapshot before, CpuSnapshot after)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var generator = 100 * (after.Generator - before.Generator).TotalSeconds / seconds;
        var servers = new double[before.Servers.Length];
        for (var k = 0; k < servers.Length; k++)
        {
            servers[k] = 100 * (after.Servers[k] - before.Servers[k]).TotalSeconds / seconds;
        }

        if (before.IdleTicks < 0 || after.IdleTicks < 0 || seconds <= 0)
        {
            return (null, null, servers, generator);
        }

        var idle = 100 * (after.IdleTicks - before.IdleTicks) / TicksPerSecond / seconds;
        var postgres = 100 * Math.Max(0, after.PostgresTicks - before.PostgresTicks) / TicksPerSecond / seconds;
        return (Math.Max(0, (100 * Environment.ProcessorCount) - idle), postgres, servers, generator);
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

    private static long IdleTicksNow()
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(f[4], CultureInfo.InvariantCulture) + long.Parse(f[5], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
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
