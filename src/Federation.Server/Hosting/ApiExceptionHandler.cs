using Federation.Storage;
using Orleans.Runtime;
using Orleans.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Federation.Server.Hosting;

/// <summary>
/// Turns an exception a grain threw into a problem answer: a refused argument is the client's error (400),
/// an unreachable state store, a timed-out grain call or a silo of the cluster that died under the call is the
/// server's momentary trouble (503 with <c>Retry-After</c>), anything else is a 500. Never leaks the exception's stack.
/// </summary>
internal sealed class ApiExceptionHandler : IExceptionHandler
{
    /// <summary>The <c>Retry-After</c> of a 503: about one connect timeout, so a client does not retry faster than an outage can be noticed to end.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>Title of the 503 for an unreachable store.</summary>
    public const string StoreUnreachableTitle = "The state store is unreachable.";

    /// <summary>
    /// Detail of the 503 for an unreachable store. Honest about a write whose commit answer was lost: the
    /// change may have been stored, which is why a retry must carry the same id.
    /// </summary>
    public const string StoreUnreachableDetail =
        "The database that holds jobs and regions could not be reached, so the request did not complete. Retry later (see Retry-After). "
        + "Submitting a job again with the same id is safe: if the first attempt was stored after all, the retry returns that job instead of creating a second one. "
        + "A job submitted without an id may have been stored: look it up (GET /api/jobs) before submitting it again.";

    /// <summary>Title of the 503 for a call that met a silo that died or could not be reached.</summary>
    public const string SiloUnavailableTitle = "A silo of the cluster is unavailable.";

    /// <summary>How deep to look through wrapping exceptions (activation failures, AggregateException) for the cause.</summary>
    private const int MaxDepth = 8;

    private readonly IProblemDetailsService _problems;
    private readonly ILogger<ApiExceptionHandler> _logger;

    public ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger)
    {
        _problems = problems;
        _logger = logger;
    }

    /// <summary>The status an exception answers with: 503 for an outage or a timeout anywhere in it, 400 for a refused argument, else 500.</summary>
    public static int StatusOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (StorageErrors.FindUnreachable(exception) is not null
            || Find<TimeoutException>(exception, static _ => true, 0) is not null
            || SiloTrouble(exception) is not null)
        {
            return StatusCodes.Status503ServiceUnavailable;
        }

        return Unwrap(exception) is ArgumentException ? StatusCodes.Status400BadRequest : StatusCodes.Status500InternalServerError;
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var status = StatusOf(exception);
        string title, detail;
        if (StorageErrors.FindUnreachable(exception) is { } outage)
        {
            // An outage is expected operational trouble, not a bug: one line (naming the database, never
            // credentials) rather than a stack per request while it lasts.
            Log.StoreUnreachable(_logger, httpContext.Request.Method, httpContext.Request.Path, outage.Message);
            (title, detail) = (StoreUnreachableTitle, StoreUnreachableDetail);
        }
        else if (SiloTrouble(exception) is { } silo)
        {
            // A silo died under the call: its grains move to the silos left once membership declares it dead (seconds).
            Log.SiloUnavailable(_logger, httpContext.Request.Method, httpContext.Request.Path, silo.Message);
            (title, detail) = (SiloUnavailableTitle,
                "The request reached a part of the cluster on a silo that stopped or cannot be reached; its work moves to the silos left within seconds. "
                + "Retry later (see Retry-After). Submitting a job again with the same id is safe: if the first attempt was stored, the retry returns that job.");
        }
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            Log.RequestFailed(_logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            var timeout = Find<TimeoutException>(exception, static _ => true, 0)!;
            (title, detail) = ("The service did not answer in time.", timeout.Message + " The request may still complete: look the resource up before repeating a request without an id.");
        }
        else if (status == StatusCodes.Status400BadRequest)
        {
            (title, detail) = ("The request is invalid.", Unwrap(exception).Message);
        }
        else
        {
            Log.RequestFailed(_logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            (title, detail) = ("The server failed.", "see the server log");
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await _problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>
    /// The cluster's own trouble under the call: a silo that died, a message Orleans could not deliver, this silo
    /// declared dead while it still answered (its grains cannot register). Orleans reports them as
    /// <see cref="OrleansException"/>s; a stale write (<see cref="InconsistentStateException"/>) is not one of them.
    /// Null when none.
    /// </summary>
    private static Exception? SiloTrouble(Exception exception) =>
        Find<OrleansException>(exception, static e => e is not InconsistentStateException, 0);

    /// <summary>The exception itself, or the single exception an AggregateException carries.</summary>
    private static Exception Unwrap(Exception exception) =>
        exception is AggregateException { InnerExceptions: [var single] } ? Unwrap(single) : exception;

    /// <summary>The first <typeparamref name="T"/> matching <paramref name="match"/> in the exception, its inner exceptions and an AggregateException's members.</summary>
    private static T? Find<T>(Exception? exception, Func<T, bool> match, int depth)
        where T : Exception
    {
        if (exception is null || depth > MaxDepth)
        {
            return null;
        }

        if (exception is T found && match(found))
        {
            return found;
        }

        if (exception is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions)
            {
                if (Find(inner, match, depth + 1) is { } hit)
                {
                    return hit;
                }
            }

            return null;
        }

        return Find(exception.InnerException, match, depth + 1);
    }
}
