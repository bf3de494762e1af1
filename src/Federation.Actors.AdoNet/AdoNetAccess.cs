namespace Federation.Actors.AdoNet;

/// <summary>What a connection is leased for: a connection source may route writes differently.</summary>
public enum AdoNetAccess
{
    Read,
    Write,
}
