using Microsoft.Extensions.Options;

namespace Federation.Grains.Admission;

/// <summary>Limits on what a submission may add (configuration section <c>Federation:Admission</c>).</summary>
public sealed class AdmissionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Federation:Admission";

    /// <summary>Default for <see cref="MaxQueuedJobsPerProject"/>.</summary>
    public const int DefaultMaxQueuedJobsPerProject = 10_000;

    /// <summary>Default for <see cref="CountRefresh"/>.</summary>
    public static readonly TimeSpan DefaultCountRefresh = TimeSpan.FromSeconds(1);

    /// <summary>Largest allowed <see cref="CountRefresh"/>.</summary>
    public static readonly TimeSpan MaxCountRefresh = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Most jobs one project may have queued across every region; a submission beyond it is refused and stores nothing.
    /// 0 turns the cap off.
    /// </summary>
    public int MaxQueuedJobsPerProject { get; set; } = DefaultMaxQueuedJobsPerProject;

    /// <summary>
    /// How old a silo's count of a project's queued jobs (read from the job rows) may be before a submission reads it
    /// again (silo time). A refusal is always judged on a count read for it.
    /// </summary>
    public TimeSpan CountRefresh { get; set; } = DefaultCountRefresh;
}

/// <summary>Validates <see cref="AdmissionOptions"/>, naming the bad option by its configuration key.</summary>
public sealed class AdmissionOptionsValidator : IValidateOptions<AdmissionOptions>
{
    public ValidateOptionsResult Validate(string? name, AdmissionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = AdmissionOptions.SectionName + ":";
        if (options.MaxQueuedJobsPerProject < 0)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(AdmissionOptions.MaxQueuedJobsPerProject)} must be 0 (no cap) or more (was {options.MaxQueuedJobsPerProject}).");
        }

        if (options.CountRefresh <= TimeSpan.Zero || options.CountRefresh > AdmissionOptions.MaxCountRefresh)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(AdmissionOptions.CountRefresh)} must be positive and at most {AdmissionOptions.MaxCountRefresh} (was {options.CountRefresh}).");
        }

        return ValidateOptionsResult.Success;
    }
}
