using System.Diagnostics;
using System.Globalization;

namespace Federation.Benchmarks.Http;

/// <summary>GC, CPU and thread-pool figures over a window, to tell a GC pause from a starved thread pool.</summary>
internal sealed class StallMonitor
{
    private readonly Lock _lock = new();
    private Thread? _sampler;
    private volatile bool _running;
    private long _start;
    private TimeSpan _pause;
    private TimeSpan _cpu;
    private long _allocated;
    private int _gen0;
    private int _gen1;
    private int _gen2;
    private long _maxPending;
    private long _pendingSum;
    private long _samples;
    private double _maxLateMs;
    private int _late5Ms;

    public void Start()
    {
        lock (_lock)
        {
            if (_running)
            {
                return;
            }

            _running = true;
            _start = Stopwatch.GetTimestamp();
            _pause = GC.GetTotalPauseDuration();
            _cpu = Process.GetCurrentProcess().TotalProcessorTime;
            _allocated = GC.GetTotalAllocatedBytes(precise: false);
            (_gen0, _gen1, _gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            _sampler = new Thread(Sample) { IsBackground = true, Name = "stall-sampler", Priority = ThreadPriority.AboveNormal };
            _sampler.Start();
        }
    }

    public string Stop()
    {
        if (!_running)
        {
            return "stalls: the measured window was not reached";
        }

        _running = false;
        _sampler!.Join();
        var seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var pause = (GC.GetTotalPauseDuration() - _pause).TotalMilliseconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds;
        var allocated = (GC.GetTotalAllocatedBytes(precise: false) - _allocated) / (1024.0 * 1024);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"measured window {seconds:F1} s: GC gen0 {GC.CollectionCount(0) - _gen0} gen1 {GC.CollectionCount(1) - _gen1} gen2 {GC.CollectionCount(2) - _gen2}, paused {pause:F0} ms ({100 * pause / (seconds * 1000):F1} %), allocated {allocated / seconds:F0} MB/s, heap {GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)} MB; " +
            $"process CPU {100 * cpu / seconds:F0} % of one core; thread pool backlog mean {(double)_pendingSum / Math.Max(1, _samples):F1} max {_maxPending}, threads {ThreadPool.ThreadCount}; 1 ms sampler late by > 5 ms {_late5Ms} times, max {_maxLateMs:F1} ms");
    }

    private void Sample()
    {
        var last = Stopwatch.GetTimestamp();
        while (_running)
        {
            Thread.Sleep(1);
            var now = Stopwatch.GetTimestamp();
            var lateMs = Stopwatch.GetElapsedTime(last, now).TotalMilliseconds - 1;
            last = now;
            if (lateMs > 5)
            {
                _late5Ms++;
            }

            _maxLateMs = Math.Max(_maxLateMs, lateMs);
            var pending = ThreadPool.PendingWorkItemCount;
            _pendingSum += pending;
            _maxPending = Math.Max(_maxPending, pending);
            _samples++;
        }
    }
}
