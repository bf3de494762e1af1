namespace Federation.Actors;

/// <summary>
/// The call reached a silo that is stopping and does not hold an activation of the target: it was not
/// run, and it is not retried (as Orleans' <c>SiloUnavailableException</c>). The caller may retry on a
/// silo that is up.
/// </summary>
public sealed class SiloUnavailableException : Exception
{
    public SiloUnavailableException()
    {
    }

    public SiloUnavailableException(string message)
        : base(message)
    {
    }

    public SiloUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
