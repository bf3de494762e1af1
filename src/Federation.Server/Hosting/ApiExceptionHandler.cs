using Microsoft.AspNetCore.Diagnostics;

namespace Federation.Server.Hosting;

/// <summary>
/// Turns an exception a grain threw into a problem answer: a refused argument is the client's error (400),
/// a timed-out grain call or an unreachable store is the server's momentary trouble (503), anything
/// else is a 500. Never leaks the exception's stack.
/// </summary>
internal sealed class ApiExceptionHandler : IExceptionHandler
{
    private readonly IProblemDetailsService _problems;
    private readonly ILogger<ApiExceptionHandler> _logger;

    public ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger)
    {
        _problems = problems;
        _logger = logger;
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            ArgumentException => (StatusCodes.Status400BadRequest, "The request is invalid."),
            TimeoutException => (StatusCodes.Status503ServiceUnavailable, "The service did not answer in time."),
            _ => (StatusCodes.Status500InternalServerError, "The server failed."),
        };
        if (status >= 500)
        {
            Log.RequestFailed(_logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        return await _problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = status < 500 || exception is TimeoutException ? exception.Message : "see the server log" },
        });
    }
}
