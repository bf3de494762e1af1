using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Federation.Benchmarks;

/// <summary>
/// The console's minimum log level for a silo or server a benchmark hosts in process: warnings or errors while it runs,
/// raised when it stops (the figures are printed by then). A filter for the console provider alone, so it takes
/// precedence over every category rule a host's configuration sets (the server's sets several).
/// </summary>
internal sealed class ConsoleLogGate
{
    private volatile int _minimum;

    public ConsoleLogGate(LogLevel minimum) => _minimum = (int)minimum;

    public LogLevel Minimum
    {
        get => (LogLevel)_minimum;
        set => _minimum = (int)value;
    }

    /// <summary>The minimum level to keep while a silo stops: Critical when its state lives only in memory, else Error.</summary>
    /// <remarks>
    /// Orleans' memory storage is itself grains, deactivated before the grains that write to it on their way out, so a
    /// silo in memory logs pages of placement retries and failed writes of state that is lost on exit anyway; on a
    /// database a write that failed on the way out matters and is shown.
    /// </remarks>
    public static LogLevel DuringStop(bool inMemory) => inMemory ? LogLevel.Critical : LogLevel.Error;

    /// <summary>Replaces the logging providers with the console, filtered by this gate.</summary>
    public void Apply(ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders().AddConsole().AddFilter<ConsoleLoggerProvider>((_, level) => level >= Minimum);
    }
}
