namespace Federation.Actors.Invocation;

/// <summary>What a grain reference needs from the runtime: a way to send a request and a factory.</summary>
public interface IGrainReferenceRuntime
{
    IGrainFactory GrainFactory { get; }

    /// <summary>Sends the request to the reference's grain; the caller awaits the request itself.</summary>
    void Send(GrainReference target, Request request);
}

/// <summary>
/// The base of every generated proxy: a (GrainId, interface) pair with no location. Equality is
/// GrainId equality; the interface is ignored.
/// </summary>
public abstract class GrainReference : IAddressable, IEquatable<GrainReference>
{
    protected GrainReference(GrainId grainId, IGrainReferenceRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        GrainId = grainId;
        Runtime = runtime;
    }

    public GrainId GrainId { get; }

    public IGrainReferenceRuntime Runtime { get; }

    public abstract Type InterfaceType { get; }

    /// <summary>Runtime use: the local target this reference last resolved to, re-resolved when it is no longer valid.</summary>
    public object? RuntimeCache { get; set; }

    public bool Equals(GrainReference? other) => other is not null && GrainId.Equals(other.GrainId);

    public override bool Equals(object? obj) => obj is GrainReference other && Equals(other);

    public override int GetHashCode() => GrainId.GetHashCode();

    public override string ToString() => $"GrainReference:{GrainId}";

    public static bool operator ==(GrainReference? left, GrainReference? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(GrainReference? left, GrainReference? right) => !(left == right);
}
