namespace Federation.Actors;

/// <summary>Anything that has a <see cref="GrainId"/>: a grain instance or a grain reference.</summary>
public interface IAddressable
{
}

/// <summary>The root of every grain interface. A grain interface fixes its key kind with one of the marker interfaces below.</summary>
public interface IGrain : IAddressable
{
}

/// <summary>A grain keyed by a string.</summary>
public interface IGrainWithStringKey : IGrain
{
}

/// <summary>A grain keyed by a Guid.</summary>
public interface IGrainWithGuidKey : IGrain
{
}

/// <summary>A grain keyed by a 64-bit integer.</summary>
public interface IGrainWithIntegerKey : IGrain
{
}

/// <summary>A grain keyed by a Guid plus a string extension.</summary>
public interface IGrainWithGuidCompoundKey : IGrain
{
}

/// <summary>A grain keyed by a 64-bit integer plus a string extension.</summary>
public interface IGrainWithIntegerCompoundKey : IGrain
{
}
