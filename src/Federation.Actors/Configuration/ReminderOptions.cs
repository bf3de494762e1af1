using Microsoft.Extensions.Options;

namespace Federation.Actors.Configuration;

/// <summary>Durable reminders (Orleans' ReminderOptions).</summary>
public sealed class ReminderOptions
{
    /// <summary>Default smallest reminder period; shorter periods are rejected with ArgumentException.</summary>
    public static readonly TimeSpan DefaultMinimumReminderPeriod = TimeSpan.FromMinutes(1);

    public TimeSpan MinimumReminderPeriod { get; set; } = DefaultMinimumReminderPeriod;
}

public sealed class ReminderOptionsValidator : IValidateOptions<ReminderOptions>
{
    public ValidateOptionsResult Validate(string? name, ReminderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.MinimumReminderPeriod < TimeSpan.Zero
            ? ValidateOptionsResult.Fail($"{nameof(ReminderOptions)}.{nameof(ReminderOptions.MinimumReminderPeriod)} must not be negative, was {options.MinimumReminderPeriod}.")
            : ValidateOptionsResult.Success;
    }
}
