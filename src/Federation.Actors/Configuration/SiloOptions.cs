using Microsoft.Extensions.Options;

namespace Federation.Actors.Configuration;

/// <summary>The silo's name and the metadata it advertises to placement (for example "region").</summary>
public sealed class SiloOptions
{
    /// <summary>Default silo name.</summary>
    public const string DefaultSiloName = "silo";

    public string SiloName { get; set; } = DefaultSiloName;

    /// <summary>String key/value metadata, such as <c>region</c>, read by placement.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);
}

public sealed class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.SiloName)
            ? ValidateOptionsResult.Fail($"{nameof(SiloOptions)}.{nameof(SiloOptions.SiloName)} must not be empty.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>Scale-down of stateless worker pools (Orleans' StatelessWorker inspection settings).</summary>
public sealed class StatelessWorkerOptions
{
    /// <summary>Default interval between idle-worker inspections.</summary>
    public static readonly TimeSpan DefaultIdleWorkersInspectionPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>Default number of consecutive idle inspections before a worker is removed.</summary>
    public const int DefaultMinIdleCyclesBeforeRemoval = 1;

    public TimeSpan IdleWorkersInspectionPeriod { get; set; } = DefaultIdleWorkersInspectionPeriod;

    public int MinIdleCyclesBeforeRemoval { get; set; } = DefaultMinIdleCyclesBeforeRemoval;
}

public sealed class StatelessWorkerOptionsValidator : IValidateOptions<StatelessWorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, StatelessWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IdleWorkersInspectionPeriod <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{nameof(StatelessWorkerOptions)}.{nameof(StatelessWorkerOptions.IdleWorkersInspectionPeriod)} must be positive.");
        }

        return options.MinIdleCyclesBeforeRemoval < 1
            ? ValidateOptionsResult.Fail($"{nameof(StatelessWorkerOptions)}.{nameof(StatelessWorkerOptions.MinIdleCyclesBeforeRemoval)} must be at least 1.")
            : ValidateOptionsResult.Success;
    }
}
