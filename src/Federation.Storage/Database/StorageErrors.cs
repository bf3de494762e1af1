using System.Data.Common;
using System.Net.Sockets;
using Federation.Storage.Postgres;

namespace Federation.Storage;

/// <summary>Tells an outage of the database (retry later) from other failures, whichever layer threw.</summary>
public static class StorageErrors
{
    /// <summary>How deep to look through wrapping exceptions (activation failures, AggregateException).</summary>
    private const int MaxDepth = 8;

    private static readonly PostgresDialect Postgres = new(null);

    /// <summary>
    /// The first sign of an outage in <paramref name="exception"/>, its inner exceptions and an AggregateException's
    /// members: an <see cref="AdoNetStorageException"/> of kind Unreachable (the job store), or a driver's error that
    /// means the server could not be reached (Orleans' provider passes those on as they are). Null when there is none.
    /// </summary>
    public static Exception? FindUnreachable(Exception? exception) => Find(exception, 0);

    private static Exception? Find(Exception? exception, int depth)
    {
        if (exception is null || depth > MaxDepth)
        {
            return null;
        }

        if (exception is AdoNetStorageException { IsUnreachable: true }
            || (exception is DbException or SocketException or IOException && Postgres.IsUnreachable(exception)))
        {
            return exception;
        }

        if (exception is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions)
            {
                if (Find(inner, depth + 1) is { } hit)
                {
                    return hit;
                }
            }

            return null;
        }

        return Find(exception.InnerException, depth + 1);
    }
}
