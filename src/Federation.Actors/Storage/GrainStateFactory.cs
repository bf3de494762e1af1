namespace Federation.Actors.Storage;

/// <summary>
/// Creates the "fresh" state a provider hands back when nothing is stored or a state was cleared:
/// a new <typeparamref name="T"/> from its public parameterless constructor when it has one (as
/// Orleans does), otherwise <c>default</c> (records with only a primary constructor, value types).
/// </summary>
public static class GrainStateFactory<T>
{
    private static readonly Func<T> Factory = CreateFactory();

    public static T Create() => Factory();

    private static Func<T> CreateFactory()
    {
        var type = typeof(T);
        if (type.IsValueType || type.IsAbstract || type.IsInterface || type.GetConstructor(Type.EmptyTypes) is null)
        {
            return static () => default!;
        }

        return static () => Activator.CreateInstance<T>();
    }
}
