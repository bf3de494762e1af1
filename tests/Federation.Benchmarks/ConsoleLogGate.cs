using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Federation.Benchmarks;

/// <summary>
/// The console's minimum log level for a silo or server a benchmark hosts in process: warnings or errors while it runs,
/// critical only once it stops (the figures are printed by then). A filter for the console provider alone, so it takes
/// precedence over every category rule a host's configuration sets (the server's sets several).
/// </summary>
internal sealed class ConsoleLogGate
{
    private volatile int _minimum;

    public ConsoleLogGate(LogLevel minimum) => _minimum = (int)minimum;

    public LogLevel Minimum => (LogLevel)_minimum;

    /// <summary>
    /// From now on only critical entries: called when the silo stops, after the figures are printed. A stopping silo logs
    /// pages that say nothing about the run: Orleans' memory storage is itself grains, deactivated before the grains
    /// that write to it on their way out, and execution-clock alarms that fire meanwhile cannot reach their regions.
    /// What a run leaves in its store is checked by the crash tests, not here.
    /// </summary>
    public void Stopping() => _minimum = (int)LogLevel.Critical;

    /// <summary>Replaces the logging providers with the console, filtered by this gate.</summary>
    public void Apply(ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders().AddConsole().AddFilter<ConsoleLoggerProvider>((_, level) => level >= Minimum);
    }
}
