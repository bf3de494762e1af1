using Federation.Server.Hosting;
using Federation.Storage;

namespace Federation.Server.Tests;

/// <summary>Which status an exception from a grain call answers with, however it arrives wrapped.</summary>
public sealed class ApiExceptionHandlerTests
{
    private static readonly AdoNetStorageException Unreachable =
        new("The PostgreSQL database 'db:5432/fed' is unreachable. Connecting failed: refused", AdoNetStorageErrorKind.Unreachable, new IOException("refused"));

    public static TheoryData<Exception, int> Cases => new()
    {
        { Unreachable, 503 },
        { new InvalidOperationException("Activation failed.", Unreachable), 503 },
        { new AggregateException(new InvalidOperationException("first"), new InvalidOperationException("wrapped", Unreachable)), 503 },
        { new AggregateException(new AggregateException(Unreachable)), 503 },
        { new TimeoutException("no response within 30 s"), 503 },
        { new InvalidOperationException("call failed", new TimeoutException("no response")), 503 },
        { new Orleans.Runtime.SiloUnavailableException("The target silo became unavailable for message: Request job/j1"), 503 },
        { new Orleans.Runtime.OrleansException("Trying to register job/j1 on invalid silo: S127.0.0.1:11112:1. Known status: Dead"), 503 },
        { new Orleans.Storage.InconsistentStateException("version conflict"), 500 },
        { new AdoNetStorageException("schema version 9 is newer than this build", AdoNetStorageErrorKind.Failed, null), 500 },
        { new InvalidOperationException("a bug"), 500 },
        { new ArgumentException("accelerators.count must be positive"), 400 },
        { new AggregateException(new ArgumentException("homeRegion is required")), 400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_outage_a_timeout_or_a_lost_silo_anywhere_in_the_exception_is_503_a_refused_argument_400_anything_else_500(Exception exception, int status)
    {
        Assert.Equal(status, ApiExceptionHandler.StatusOf(exception));
    }
}
