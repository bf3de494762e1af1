namespace Federation.Grains.Execution.Slurm;

/// <summary>
/// How one region reaches its Slurm (configuration <c>Federation:Regions:&lt;id&gt;:Slurm</c>): slurmrestd's address, the
/// user jobs run as and that user's token, the partition, and how the region's pool types are named in Slurm's GRES.
/// </summary>
public sealed class SlurmOptions
{
    /// <summary>Default of <see cref="PollPeriod"/>.</summary>
    public static readonly TimeSpan DefaultPollPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="PendingReportAfter"/>.</summary>
    public static readonly TimeSpan DefaultPendingReportAfter = TimeSpan.FromSeconds(60);

    /// <summary>Default of <see cref="CapacityRefresh"/>.</summary>
    public static readonly TimeSpan DefaultCapacityRefresh = TimeSpan.FromSeconds(30);

    /// <summary>Default of <see cref="RequestTimeout"/>.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>slurmrestd's base address, e.g. <c>http://slurm-daegu:6820</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>The user jobs are submitted as and run as (<c>X-SLURM-USER-NAME</c>); never root.</summary>
    public string? User { get; set; }

    /// <summary>That user's JWT (<c>X-SLURM-USER-TOKEN</c>; <c>scontrol token username=&lt;user&gt;</c>). A secret: never logged.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Instead of <see cref="Token"/>: a file holding the token (as <c>scontrol token</c> prints it, <c>SLURM_JWT=…</c>, or
    /// bare), read again whenever it changes, so a token renewed before it expires (a cron job, a Kubernetes secret) is
    /// used without a restart.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>The partition jobs go to; null for the cluster's default partition.</summary>
    public string? Partition { get; set; }

    /// <summary>Pool type → the GRES that names it in Slurm, without the count (<c>H100</c> → <c>gpu:h100</c>); one per pool type of the region.</summary>
    public Dictionary<string, string> Gres { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The directory a script runs in when its job names none (it must exist on the nodes and be writable by <see cref="User"/>).</summary>
    public string WorkingDirectory { get; set; } = "/tmp";

    /// <summary>Where a job's output goes, relative to its working directory; Slurm's patterns apply (<c>%x</c> the job's name, <c>%j</c> Slurm's id).</summary>
    public string Output { get; set; } = "%x-%j.out";

    /// <summary>How often the executor reads the state of the region's jobs from Slurm.</summary>
    public TimeSpan PollPeriod { get; set; } = DefaultPollPeriod;

    /// <summary>A job Slurm keeps pending this long after the region started it is reported (in its history, with Slurm's reason).</summary>
    public TimeSpan PendingReportAfter { get; set; } = DefaultPendingReportAfter;

    /// <summary>How often the region's pools are read from Slurm's nodes; <see cref="TimeSpan.Zero"/> keeps the megaregion file's counts.</summary>
    public TimeSpan CapacityRefresh { get; set; } = DefaultCapacityRefresh;

    /// <summary>How long one call to slurmrestd may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>Everything wrong with these options for <paramref name="region"/> (its pool types given), as messages naming the key.</summary>
    public List<string> Check(string prefix, IEnumerable<string> poolTypes)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(poolTypes);
        var failures = new List<string>();
        if (Url is null || !Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https"))
        {
            failures.Add($"{prefix}:Url must be slurmrestd's http(s) address, e.g. http://127.0.0.1:6820.");
        }

        if (string.IsNullOrWhiteSpace(User))
        {
            failures.Add($"{prefix}:User must name the user jobs run as.");
        }
        else if (User is "root" or "slurm")
        {
            failures.Add($"{prefix}:User must not be '{User}': jobs never run as root or as Slurm's own user.");
        }

        if (string.IsNullOrWhiteSpace(Token) == string.IsNullOrWhiteSpace(TokenFile))
        {
            failures.Add($"{prefix}:Token (the user's slurmrestd token: scontrol token username=<user>) or {prefix}:TokenFile (a file holding it), one of the two, must be set.");
        }
        else if (TokenFile is { Length: > 0 } file && !File.Exists(file))
        {
            failures.Add($"{prefix}:TokenFile names no file: {file}.");
        }

        foreach (var type in poolTypes)
        {
            if (!Gres.TryGetValue(type, out var gres) || !SlurmGres.IsName(gres))
            {
                failures.Add($"{prefix}:Gres:{type} must say how Slurm names the region's {type} accelerators, as <name>:<type> (e.g. gpu:{type.ToLowerInvariant()}).");
            }
        }

        if (!WorkingDirectory.StartsWith('/'))
        {
            failures.Add($"{prefix}:WorkingDirectory must be an absolute path.");
        }

        if (PollPeriod <= TimeSpan.Zero || PendingReportAfter < TimeSpan.Zero || CapacityRefresh < TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}: PollPeriod and RequestTimeout must be positive, PendingReportAfter and CapacityRefresh not negative.");
        }

        return failures;
    }
}

/// <summary>GRES strings as Slurm writes them: <c>gpu:h100</c>, <c>gpu:h100:8</c>, <c>gpu:h100:8(S:0-1)</c>, <c>gpu:h100:2(IDX:0-1)</c>.</summary>
public static class SlurmGres
{
    /// <summary>Whether <paramref name="gres"/> is a GRES name and type (<c>gpu:h100</c>) without a count.</summary>
    public static bool IsName(string? gres)
    {
        if (string.IsNullOrEmpty(gres))
        {
            return false;
        }

        var parts = gres.Split(':');
        return parts.Length == 2 && parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'));
    }

    /// <summary>
    /// The counts per <c>name:type</c> in a node's GRES list (<c>gpu:h100:8(S:0),gpu:a100:4</c>), added to <paramref name="into"/>.
    /// Entries without a type are counted under their name alone.
    /// </summary>
    public static void AddCounts(string? list, Dictionary<string, int> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (string.IsNullOrWhiteSpace(list) || list == "(null)")
        {
            return;
        }

        foreach (var raw in SplitTopLevel(list))
        {
            var entry = raw;
            var paren = entry.IndexOf('(', StringComparison.Ordinal);
            if (paren >= 0)
            {
                entry = entry[..paren];
            }

            var parts = entry.Split(':');
            if (parts.Length >= 3 && int.TryParse(parts[^1], out var count))
            {
                var key = string.Join(':', parts[..^1]);
                into[key] = into.GetValueOrDefault(key) + count;
            }
        }
    }

    private static IEnumerable<string> SplitTopLevel(string list)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            switch (list[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return list[start..i].Trim();
                    start = i + 1;
                    break;
            }
        }

        if (start < list.Length)
        {
            yield return list[start..].Trim();
        }
    }
}
