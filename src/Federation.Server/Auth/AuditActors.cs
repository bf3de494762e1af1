using Federation.Contracts;

namespace Federation.Server.Auth;

/// <summary>
/// Names the caller of each authenticated request as the actor of the changes its grain calls make
/// (<see cref="AuditActor"/>), so every audit entry says who, in which role and from which address.
/// </summary>
public static class AuditActors
{
    /// <summary>After authentication: a request with a validated caller carries it into every grain call it makes.</summary>
    public static IApplicationBuilder UseAuditActor(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Async, so the actor set here ends with the request: an async method restores its caller's context on return.
        return app.Use(static async (context, next) =>
        {
            if (Caller.TryOf(context.User) is { } caller)
            {
                new AuditActor(caller.Subject, Caller.Name(caller.Role), context.Connection.RemoteIpAddress?.ToString()).MakeCurrent();
            }

            await next(context);
        });
    }
}
