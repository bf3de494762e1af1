using System.Globalization;

namespace Federation.CrashTests;

/// <summary>The seed of a run: <c>FEDERATION_CRASH_SEED</c> when set (to repeat a failure), else a fresh one, printed.</summary>
internal static class Seeds
{
    public static int Next()
    {
        var given = Environment.GetEnvironmentVariable("FEDERATION_CRASH_SEED");
        return !string.IsNullOrWhiteSpace(given) ? int.Parse(given, CultureInfo.InvariantCulture) : Random.Shared.Next(1, 1_000_000);
    }
}
