namespace Federation.Actors.Catalog;

/// <summary>The life of one activation (Orleans' ActivationState).</summary>
public enum ActivationState
{
    /// <summary>Created in the catalog; the instance is not built yet. Requests queue.</summary>
    Creating,

    /// <summary>State is being read and OnActivateAsync runs. Requests queue.</summary>
    Activating,

    /// <summary>Serving requests.</summary>
    Valid,

    /// <summary>No new requests start; queued ones wait and are re-routed afterwards.</summary>
    Deactivating,

    /// <summary>Gone from the catalog; a message that still reaches it is re-routed.</summary>
    Invalid,
}
