using Microsoft.Extensions.Options;

namespace Federation.Actors.Configuration;

/// <summary>Idle collection of activations (Orleans' GrainCollectionOptions).</summary>
public sealed class GrainCollectionOptions
{
    /// <summary>Default idle age after which an activation is collected.</summary>
    public static readonly TimeSpan DefaultCollectionAge = TimeSpan.FromMinutes(15);

    /// <summary>Default interval between collection scans.</summary>
    public static readonly TimeSpan DefaultCollectionQuantum = TimeSpan.FromMinutes(1);

    /// <summary>Default time allowed for activation (state read plus OnActivateAsync).</summary>
    public static readonly TimeSpan DefaultActivationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default time allowed for OnDeactivateAsync.</summary>
    public static readonly TimeSpan DefaultDeactivationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>An activation idle this long is collected on the next scan. Must exceed <see cref="CollectionQuantum"/>.</summary>
    public TimeSpan CollectionAge { get; set; } = DefaultCollectionAge;

    /// <summary>How often the collector scans; any age is a lower bound rounded up to a scan.</summary>
    public TimeSpan CollectionQuantum { get; set; } = DefaultCollectionQuantum;

    /// <summary>Per grain class ages, keyed by full CLR class name; each must exceed <see cref="CollectionQuantum"/>.</summary>
    public Dictionary<string, TimeSpan> ClassSpecificCollectionAge { get; } = new(StringComparer.Ordinal);

    public TimeSpan ActivationTimeout { get; set; } = DefaultActivationTimeout;

    public TimeSpan DeactivationTimeout { get; set; } = DefaultDeactivationTimeout;
}

/// <summary>Rejects collection settings Orleans rejects, naming the option.</summary>
public sealed class GrainCollectionOptionsValidator : IValidateOptions<GrainCollectionOptions>
{
    public ValidateOptionsResult Validate(string? name, GrainCollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.CollectionQuantum <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(GrainCollectionOptions)}.{nameof(GrainCollectionOptions.CollectionQuantum)} must be positive, was {options.CollectionQuantum}.");
        }

        if (options.CollectionAge <= options.CollectionQuantum)
        {
            failures.Add($"{nameof(GrainCollectionOptions)}.{nameof(GrainCollectionOptions.CollectionAge)} ({options.CollectionAge}) must be greater than {nameof(GrainCollectionOptions.CollectionQuantum)} ({options.CollectionQuantum}).");
        }

        foreach (var (grainClass, age) in options.ClassSpecificCollectionAge)
        {
            if (age <= options.CollectionQuantum)
            {
                failures.Add($"{nameof(GrainCollectionOptions)}.{nameof(GrainCollectionOptions.ClassSpecificCollectionAge)}[{grainClass}] ({age}) must be greater than {nameof(GrainCollectionOptions.CollectionQuantum)} ({options.CollectionQuantum}).");
            }
        }

        if (options.ActivationTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(GrainCollectionOptions)}.{nameof(GrainCollectionOptions.ActivationTimeout)} must be positive.");
        }

        if (options.DeactivationTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(GrainCollectionOptions)}.{nameof(GrainCollectionOptions.DeactivationTimeout)} must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
