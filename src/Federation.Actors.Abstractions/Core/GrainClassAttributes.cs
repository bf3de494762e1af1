namespace Federation.Actors;

/// <summary>Overrides the conventional grain type name. The name is durable: renaming orphans stored state.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GrainTypeAttribute : Attribute
{
    public GrainTypeAttribute(string grainType)
    {
        GrainType = grainType;
    }

    public string GrainType { get; }
}

/// <summary>The idle age after which activations of this class are collected. Below 1 minute it is clamped to 1 minute.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class CollectionAgeLimitAttribute : Attribute
{
    /// <summary>The smallest age a class may ask for.</summary>
    public static readonly TimeSpan MinAgeLimit = TimeSpan.FromMinutes(1);

    public CollectionAgeLimitAttribute()
    {
    }

    public CollectionAgeLimitAttribute(string inactivityPeriod)
    {
        Amount = TimeSpan.Parse(inactivityPeriod, System.Globalization.CultureInfo.InvariantCulture);
    }

    public double Days { get; init; }

    public double Hours { get; init; }

    public double Minutes { get; init; }

    /// <summary>Never collect activations of this class.</summary>
    public bool AlwaysActive { get; init; }

    public TimeSpan Amount
    {
        get
        {
            var span = _amount ?? (TimeSpan.FromDays(Days) + TimeSpan.FromHours(Hours) + TimeSpan.FromMinutes(Minutes));
            return span < MinAgeLimit ? MinAgeLimit : span;
        }

        init => _amount = value;
    }

    private readonly TimeSpan? _amount;
}

/// <summary>Exempts activations of this class from idle collection.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class KeepAliveAttribute : Attribute
{
}

/// <summary>Overrides the response timeout of one interface method, as "hh:mm:ss".</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResponseTimeoutAttribute : Attribute
{
    public ResponseTimeoutAttribute(string timeout)
    {
        Timeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);
    }

    public TimeSpan Timeout { get; }
}
