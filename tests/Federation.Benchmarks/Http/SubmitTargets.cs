namespace Federation.Benchmarks.Http;

/// <summary>How <c>http-submit</c> spreads submissions over several servers.</summary>
internal enum SubmitSpread
{
    /// <summary>
    /// Round-robin over the targets, shifted by one target every four submissions: consecutive submissions go to
    /// different servers, and every server takes every home region alike (with four silos, one submission in four
    /// arrives at its home region's silo).
    /// </summary>
    RoundRobin,

    /// <summary>
    /// Each submission to the server of its home region: target <c>k</c> serves region <c>k</c> of
    /// <see cref="SubmitTargets.Regions"/>, the order in which <c>deploy/local/megaregion.sh up</c> prints its silos.
    /// </summary>
    Home,
}

/// <summary>
/// The servers <c>http-submit</c> drives and which of them takes submission <c>i</c>. Every silo serves the whole REST
/// API, so a cluster is measured by sending to all of its silos at once. Submission <c>i</c>'s home region is
/// <c>Regions[i % 4]</c> whatever the targets, so one server and four see the same jobs.
/// </summary>
internal sealed class SubmitTargets
{
    /// <summary>The regions of the embedded megaregion, in its order (and megaregion.sh's).</summary>
    public static readonly string[] Regions = ["gwangju", "suncheon", "gwangyang", "daegu"];

    private SubmitTargets(Uri[] uris, SubmitSpread spread)
    {
        Uris = uris;
        Spread = spread;
    }

    /// <summary>The base URI of every target, ending in '/'.</summary>
    public IReadOnlyList<Uri> Uris { get; }

    public SubmitSpread Spread { get; }

    public int Count => Uris.Count;

    /// <summary>One server: everything goes to it.</summary>
    public static SubmitTargets Single(string url) => new([BaseUri(url)], SubmitSpread.RoundRobin);

    /// <summary>
    /// The targets of a comma-separated list of base URLs; a <see cref="FormatException"/> names what is wrong with it.
    /// </summary>
    public static SubmitTargets Parse(string list, SubmitSpread spread)
    {
        var parts = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            throw new FormatException("--targets needs at least one URL");
        }

        var uris = new Uri[parts.Length];
        for (var k = 0; k < parts.Length; k++)
        {
            uris[k] = BaseUri(parts[k]);
            for (var j = 0; j < k; j++)
            {
                if (uris[j] == uris[k])
                {
                    throw new FormatException($"--targets names {parts[k]} twice");
                }
            }
        }

        if (spread == SubmitSpread.Home && uris.Length != Regions.Length)
        {
            throw new FormatException($"--spread home needs one target per region ({string.Join(", ", Regions)}, in that order); --targets has {uris.Length}");
        }

        return new SubmitTargets(uris, spread);
    }

    /// <summary>The home region of submission <paramref name="i"/>.</summary>
    public static string HomeOf(int i) => Regions[i % Regions.Length];

    /// <summary>The index of the target that takes submission <paramref name="i"/>.</summary>
    public int TargetOf(int i) => Spread == SubmitSpread.Home
        ? i % Regions.Length
        : (i + (i / Regions.Length)) % Uris.Count;

    /// <summary>The target's region under <see cref="SubmitSpread.Home"/>, else null.</summary>
    public string? RegionOf(int target) => Spread == SubmitSpread.Home ? Regions[target] : null;

    private static Uri BaseUri(string url) =>
        Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
            ? uri
            : throw new FormatException($"'{url}' is not an http:// URL");
}
