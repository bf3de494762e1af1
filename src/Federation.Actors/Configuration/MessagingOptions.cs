using Microsoft.Extensions.Options;

namespace Federation.Actors.Configuration;

/// <summary>Call timeouts and message forwarding (Orleans' MessagingOptions and SiloMessagingOptions).</summary>
public sealed class MessagingOptions
{
    /// <summary>Default time a caller waits for a response before it gets a TimeoutException.</summary>
    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default bound on re-routing one message after its activation went away.</summary>
    public const int DefaultMaxForwardCount = 2;

    /// <summary>Default interval at which expired calls are found; a timeout fires at most this late.</summary>
    public static readonly TimeSpan DefaultResponseTimeoutCheckPeriod = TimeSpan.FromSeconds(1);

    public TimeSpan ResponseTimeout { get; set; } = DefaultResponseTimeout;

    public int MaxForwardCount { get; set; } = DefaultMaxForwardCount;

    public TimeSpan ResponseTimeoutCheckPeriod { get; set; } = DefaultResponseTimeoutCheckPeriod;
}

public sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{nameof(MessagingOptions)}.{nameof(MessagingOptions.ResponseTimeout)} must be positive, was {options.ResponseTimeout}.");
        }

        if (options.MaxForwardCount < 0)
        {
            return ValidateOptionsResult.Fail($"{nameof(MessagingOptions)}.{nameof(MessagingOptions.MaxForwardCount)} must not be negative, was {options.MaxForwardCount}.");
        }

        if (options.ResponseTimeoutCheckPeriod <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{nameof(MessagingOptions)}.{nameof(MessagingOptions.ResponseTimeoutCheckPeriod)} must be positive, was {options.ResponseTimeoutCheckPeriod}.");
        }

        return ValidateOptionsResult.Success;
    }
}
