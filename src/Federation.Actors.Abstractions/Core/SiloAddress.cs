namespace Federation.Actors;

/// <summary>
/// A silo's identity, as Orleans writes it: endpoint plus generation (the start epoch), so a
/// restarted silo is a new identity. A single-silo host uses a loopback endpoint.
/// </summary>
public sealed record SiloAddress(string Host, int Port, long Generation)
{
    public override string ToString() => $"S{Host}:{Port}:{Generation}";
}
