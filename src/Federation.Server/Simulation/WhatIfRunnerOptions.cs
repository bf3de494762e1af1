using Microsoft.Extensions.Options;

namespace Federation.Server.Simulation;

/// <summary>The what-if runs of <c>/api/whatif</c>, bound from <c>Federation:WhatIf</c>.</summary>
public sealed class WhatIfRunnerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Federation:WhatIf";

    /// <summary>Default of <see cref="MaxUploadBytes"/>: 20 MB, about 400,000 trace rows.</summary>
    public const long DefaultMaxUploadBytes = 20 * 1024 * 1024;

    /// <summary>Default of <see cref="DefaultJobs"/>.</summary>
    public const int DefaultDefaultJobs = 20_000;

    /// <summary>Default of <see cref="MaxJobs"/>.</summary>
    public const int DefaultMaxJobs = 200_000;

    /// <summary>Default of <see cref="Keep"/>.</summary>
    public const int DefaultKeep = 20;

    /// <summary>Default of <see cref="MaxWaiting"/>.</summary>
    public const int DefaultMaxWaiting = 10;

    /// <summary>Largest uploaded trace (the whole request body may be 64 KB more, for the other fields).</summary>
    public long MaxUploadBytes { get; set; } = DefaultMaxUploadBytes;

    /// <summary>The cap on a run's jobs when the request gives no <c>maxJobs</c>: the trace's first jobs are replayed.</summary>
    public int DefaultJobs { get; set; } = DefaultDefaultJobs;

    /// <summary>The largest <c>maxJobs</c> a request may ask for.</summary>
    public int MaxJobs { get; set; } = DefaultMaxJobs;

    /// <summary>Runs kept in memory, finished or not; the oldest finished ones are forgotten first.</summary>
    public int Keep { get; set; } = DefaultKeep;

    /// <summary>Runs that may wait for the worker; another request is refused (429) until one starts.</summary>
    public int MaxWaiting { get; set; } = DefaultMaxWaiting;
}

/// <summary>Validates <see cref="WhatIfRunnerOptions"/>; each message names the option as configured.</summary>
public sealed class WhatIfRunnerOptionsValidator : IValidateOptions<WhatIfRunnerOptions>
{
    public ValidateOptionsResult Validate(string? name, WhatIfRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string S = WhatIfRunnerOptions.SectionName;
        if (options.MaxUploadBytes is < 1024 or > 1L << 31)
        {
            failures.Add($"{S}:{nameof(options.MaxUploadBytes)} must be from 1024 to {1L << 31}, was {options.MaxUploadBytes}.");
        }

        if (options.MaxJobs < 1)
        {
            failures.Add($"{S}:{nameof(options.MaxJobs)} must be at least 1, was {options.MaxJobs}.");
        }

        if (options.DefaultJobs < 1 || options.DefaultJobs > options.MaxJobs)
        {
            failures.Add($"{S}:{nameof(options.DefaultJobs)} must be from 1 to {nameof(options.MaxJobs)} ({options.MaxJobs}), was {options.DefaultJobs}.");
        }

        if (options.Keep is < 1 or > 1000)
        {
            failures.Add($"{S}:{nameof(options.Keep)} must be from 1 to 1000, was {options.Keep}.");
        }

        if (options.MaxWaiting is < 1 or > 1000)
        {
            failures.Add($"{S}:{nameof(options.MaxWaiting)} must be from 1 to 1000, was {options.MaxWaiting}.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
