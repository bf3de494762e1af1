using Microsoft.Extensions.Options;

namespace Federation.Grains.Projects;

/// <summary>Allocations by term (issue 16): how strictly they are enforced and how fresh the usage behind them is.</summary>
public sealed class AllocationOptions
{
    /// <summary>Configuration section of these options.</summary>
    public const string Section = "Federation:Allocations";

    /// <summary>Default for <see cref="RecomputeInterval"/>.</summary>
    public static readonly TimeSpan DefaultRecomputeInterval = TimeSpan.FromSeconds(30);

    /// <summary>Default for <see cref="StandingRefresh"/>.</summary>
    public static readonly TimeSpan DefaultStandingRefresh = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When true, a job whose project has no allocation at all is over allocation (spare capacity only); when false
    /// (the default) it is unmanaged and scheduled as before allocations existed.
    /// </summary>
    public bool RequireAllocation { get; set; }

    /// <summary>How often an active project grain recomputes its usage from the job rows (silo time).</summary>
    public TimeSpan RecomputeInterval { get; set; } = DefaultRecomputeInterval;

    /// <summary>How long a silo's router uses a project's cached allocations before it asks the project again (silo time).</summary>
    public TimeSpan StandingRefresh { get; set; } = DefaultStandingRefresh;
}

/// <summary>Validates <see cref="AllocationOptions"/>, naming the bad option.</summary>
public sealed class AllocationOptionsValidator : IValidateOptions<AllocationOptions>
{
    public ValidateOptionsResult Validate(string? name, AllocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = nameof(AllocationOptions) + ".";
        if (options.RecomputeInterval <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(AllocationOptions.RecomputeInterval)} must be positive (was {options.RecomputeInterval}).");
        }

        if (options.StandingRefresh <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(AllocationOptions.StandingRefresh)} must be positive (was {options.StandingRefresh}).");
        }

        return ValidateOptionsResult.Success;
    }
}
