using System.Diagnostics;

namespace Federation.Simulator;

/// <summary>A text progress bar redrawn in place on stderr every 200 ms from a background thread.</summary>
internal sealed class ProgressBar : IDisposable
{
    private const int Width = 40;
    private readonly TextWriter _out;
    private readonly long _total;
    private readonly Func<long> _done;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private int _disposed;

    public ProgressBar(TextWriter output, long total, Func<long> done)
    {
        _out = output;
        _total = Math.Max(1, total);
        _done = done;
        _timer = new Timer(_ => Draw(false), null, 0, 200);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _timer.Dispose();
        Draw(true);
    }

    private void Draw(bool final)
    {
        lock (_out)
        {
            if (_disposed == 1 && !final)
            {
                return;
            }

            var done = Math.Min(_total, _done());
            var frac = done / (double)_total;
            var filled = (int)(frac * Width);
            _out.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {frac,6:P1} {done:N0}/{_total:N0} job-policies {_clock.Elapsed.TotalSeconds,6:F1} s");
            if (final)
            {
                _out.WriteLine();
            }

            _out.Flush();
        }
    }
}
