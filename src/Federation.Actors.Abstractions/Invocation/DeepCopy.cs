namespace Federation.Actors.Invocation;

/// <summary>
/// Copy routines the generated copiers call for collections. Arguments and results are copied even
/// for local calls so caller and callee never share mutable objects; immutable element types pass
/// <c>null</c> as the element copier and are copied shallowly.
/// </summary>
public static class DeepCopy
{
    public static T[]? Array<T>(T[]? source, Func<T, T>? copyElement)
    {
        if (source is null)
        {
            return null;
        }

        var copy = new T[source.Length];
        if (copyElement is null)
        {
            source.AsSpan().CopyTo(copy);
            return copy;
        }

        for (var i = 0; i < source.Length; i++)
        {
            copy[i] = copyElement(source[i]);
        }

        return copy;
    }

    public static List<T>? List<T>(List<T>? source, Func<T, T>? copyElement)
    {
        if (source is null)
        {
            return null;
        }

        if (copyElement is null)
        {
            return new List<T>(source);
        }

        var copy = new List<T>(source.Count);
        foreach (var item in source)
        {
            copy.Add(copyElement(item));
        }

        return copy;
    }

    public static HashSet<T>? HashSet<T>(HashSet<T>? source, Func<T, T>? copyElement)
    {
        if (source is null)
        {
            return null;
        }

        if (copyElement is null)
        {
            return new HashSet<T>(source, source.Comparer);
        }

        var copy = new HashSet<T>(source.Comparer);
        foreach (var item in source)
        {
            copy.Add(copyElement(item));
        }

        return copy;
    }

    public static Dictionary<TKey, TValue>? Dictionary<TKey, TValue>(Dictionary<TKey, TValue>? source, Func<TKey, TKey>? copyKey, Func<TValue, TValue>? copyValue)
        where TKey : notnull
    {
        if (source is null)
        {
            return null;
        }

        if (copyKey is null && copyValue is null)
        {
            return new Dictionary<TKey, TValue>(source, source.Comparer);
        }

        var copy = new Dictionary<TKey, TValue>(source.Count, source.Comparer);
        foreach (var pair in source)
        {
            copy.Add(copyKey is null ? pair.Key : copyKey(pair.Key), copyValue is null ? pair.Value : copyValue(pair.Value));
        }

        return copy;
    }
}
