namespace Federation.Storage;

/// <summary>What a connection is leased for through <see cref="IAdoNetConnectionSource.AcquireAsync"/>.</summary>
public enum AdoNetAccess
{
    /// <summary>Reads; may run in parallel with each other and with writes.</summary>
    Read,

    /// <summary>
    /// Exclusive use of the writer connection outside any group commit, for work that manages its own
    /// transaction (schema migrations). Row writes go through <see cref="IAdoNetConnectionSource.WriteAsync"/>.
    /// </summary>
    Write,
}
