using Federation.Actors.Invocation;

namespace Federation.Actors;

/// <summary>Identity helpers that work on grain instances and grain references alike.</summary>
public static class GrainExtensions
{
    public static GrainId GetGrainId(this IAddressable addressable) => addressable switch
    {
        GrainReference reference => reference.GrainId,
        Grain grain => grain.GrainId,
        _ => throw new ArgumentException($"{addressable?.GetType().FullName ?? "null"} is neither a grain nor a grain reference.", nameof(addressable)),
    };

    public static string GetPrimaryKeyString(this IAddressable addressable) => addressable.GetGrainId().Key;

    public static long GetPrimaryKeyLong(this IAddressable addressable) => addressable.GetGrainId().GetIntegerKey(out _);

    public static long GetPrimaryKeyLong(this IAddressable addressable, out string? keyExtension) => addressable.GetGrainId().GetIntegerKey(out keyExtension);

    public static Guid GetPrimaryKey(this IAddressable addressable) => addressable.GetGrainId().GetGuidKey(out _);

    public static Guid GetPrimaryKey(this IAddressable addressable, out string? keyExtension) => addressable.GetGrainId().GetGuidKey(out keyExtension);

    /// <summary>A reference of another interface to the same grain; inside a grain, pass this instead of <c>this</c>.</summary>
    public static TGrainInterface AsReference<TGrainInterface>(this IAddressable addressable)
        where TGrainInterface : IAddressable
    {
        var factory = addressable switch
        {
            GrainReference reference => reference.Runtime.GrainFactory,
            Grain grain => grain.GrainContext.GrainFactory,
            _ => throw new ArgumentException("Not a grain or grain reference.", nameof(addressable)),
        };
        return factory.GetGrain<TGrainInterface>(addressable.GetGrainId());
    }
}
