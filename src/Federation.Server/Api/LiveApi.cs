using Federation.Server.Live;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Federation.Server.Api;

/// <summary><c>/api/live</c>: the megaregion and every region as server-sent events, for the console's live page.</summary>
public static class LiveApi
{
    /// <summary>How long a browser waits before reconnecting a dropped stream (the <c>retry:</c> field).</summary>
    public const int RetryMilliseconds = 2000;

    private static readonly ReadOnlyMemory<byte> Preamble = "retry: 2000\n\n"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> KeepAliveComment = ": keepalive\n\n"u8.ToArray();

    public static IEndpointRouteBuilder MapLiveApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/live", StreamAsync)
            .WithTags("Live")
            .WithName("GetLiveFeed")
            .WithSummary("Server-sent events: 'snapshot' (data: one line of JSON, the schema below: the megaregion and every region with its pools) on connect and whenever they change, 'problem' when they cannot be read, ': keepalive' comments while nothing changes.")
            .Produces<LiveSnapshot>(StatusCodes.Status200OK, contentType: "text/event-stream");
        return endpoints;
    }

    private static async Task StreamAsync(HttpContext context, MegaregionFeed feed, IOptions<LiveFeedOptions> options, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = stop.Token;
        using var subscription = feed.Subscribe();
        var keepAlive = options.Value.KeepAlive;
        try
        {
            await response.Body.WriteAsync(Preamble, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
            var events = subscription.Events;
            Task<bool>? ready = null;
            while (true)
            {
                while (events.TryRead(out var message))
                {
                    await response.Body.WriteAsync(message.Text, cancellationToken);
                }

                await response.Body.FlushAsync(cancellationToken);
                ready ??= events.WaitToReadAsync(cancellationToken).AsTask();
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var silence = Task.Delay(keepAlive, time, quiet.Token);
                var first = await Task.WhenAny(ready, silence);
                await quiet.CancelAsync();
                if (first != ready)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await response.Body.WriteAsync(KeepAliveComment, cancellationToken);
                    continue;
                }

                if (!await ready)
                {
                    return;
                }

                ready = null;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The browser went away or the server is stopping: the subscription ends with the request.
        }
    }
}
