using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Federation.Server.Api;

/// <summary>
/// How many changes (every request that is not a read: POST, PUT, PATCH, DELETE) one caller may make, bound from
/// <c>Federation:RateLimit</c> (e.g. <c>Federation__RateLimit__ChangesPerMinute=600</c>). A caller is its identity once
/// the request carries one, else its address. Reads are never limited: the console and monitoring poll them.
/// </summary>
public sealed class ChangeRateLimitOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Federation:RateLimit";

    /// <summary>
    /// Default of <see cref="ChangesPerMinute"/>: 100 a second, far above a person at the console or a script submitting a
    /// sweep, far below a runaway loop.
    /// </summary>
    public const int DefaultChangesPerMinute = 6000;

    /// <summary>Default of <see cref="Burst"/>: a sweep of a thousand jobs submitted at once goes through.</summary>
    public const int DefaultBurst = 1000;

    /// <summary>Largest accepted value of either setting.</summary>
    public const int Max = 10_000_000;

    /// <summary>Sustained changes a caller may make per minute; 0 turns the limit off.</summary>
    public int ChangesPerMinute { get; set; } = DefaultChangesPerMinute;

    /// <summary>Changes a caller may make at once, above the sustained rate, before it is limited.</summary>
    public int Burst { get; set; } = DefaultBurst;
}

/// <summary>Validates <see cref="ChangeRateLimitOptions"/>; each message names the option as configured.</summary>
public sealed class ChangeRateLimitOptionsValidator : IValidateOptions<ChangeRateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, ChangeRateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.ChangesPerMinute is < 0 or > ChangeRateLimitOptions.Max)
        {
            failures.Add($"{ChangeRateLimitOptions.SectionName}:{nameof(ChangeRateLimitOptions.ChangesPerMinute)} must be from 0 (no limit) to {ChangeRateLimitOptions.Max}, was {options.ChangesPerMinute}.");
        }

        if (options.Burst is < 1 or > ChangeRateLimitOptions.Max)
        {
            failures.Add($"{ChangeRateLimitOptions.SectionName}:{nameof(ChangeRateLimitOptions.Burst)} must be from 1 to {ChangeRateLimitOptions.Max}, was {options.Burst}.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

/// <summary>
/// The limit on changes per caller: a token bucket per caller (<see cref="ChangeRateLimitOptions.Burst"/> tokens,
/// refilled at <see cref="ChangeRateLimitOptions.ChangesPerMinute"/>), checked before the request is read, so a refused
/// change has changed nothing. A refusal is a 429 with <c>Retry-After</c> and problem details.
/// </summary>
public static class ChangeRateLimit
{
    public static IServiceCollection AddChangeRateLimit(this IServiceCollection services)
    {
        services.AddOptions<ChangeRateLimitOptions>().BindConfiguration(ChangeRateLimitOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChangeRateLimitOptions>, ChangeRateLimitOptionsValidator>();
        services.AddSingleton<IConfigureOptions<RateLimiterOptions>, ConfigureLimiter>();
        services.AddRateLimiter(static _ => { });
        return services;
    }

    /// <summary>The bucket a caller's changes are counted in: one per identity, else one per address.</summary>
    internal static string Caller(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name }
            ? "identity:" + name
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private static bool IsChange(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    private sealed class ConfigureLimiter(IOptions<ChangeRateLimitOptions> limits) : IConfigureOptions<RateLimiterOptions>
    {
        public void Configure(RateLimiterOptions options)
        {
            var settings = limits.Value;
            if (settings.ChangesPerMinute == 0)
            {
                return;
            }

            // A whole token per period: at 60 a minute or more, tokens per second; below, one token every 60/n seconds.
            var (tokens, period) = settings.ChangesPerMinute >= 60
                ? (settings.ChangesPerMinute / 60, TimeSpan.FromSeconds(1))
                : (1, TimeSpan.FromSeconds(60.0 / settings.ChangesPerMinute));
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.Burst,
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsChange(context.Request.Method)
                    ? RateLimitPartition.GetTokenBucketLimiter(Caller(context), _ => bucket)
                    : RateLimitPartition.GetNoLimiter("reads"));
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (rejected, cancellationToken) => RefuseAsync(rejected.HttpContext, rejected.Lease, settings, period, cancellationToken);
        }

        private static async ValueTask RefuseAsync(HttpContext context, RateLimitLease lease, ChangeRateLimitOptions settings, TimeSpan period, CancellationToken cancellationToken)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : period;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            var message = $"more than {settings.Burst} changes at once, or {settings.ChangesPerMinute} a minute, from this caller; nothing was changed; retry after {seconds} s";
            await Problems.TooMany(message).ExecuteAsync(context);
        }
    }
}
