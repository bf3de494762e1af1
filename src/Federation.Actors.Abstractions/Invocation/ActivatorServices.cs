namespace Federation.Actors.Invocation;

/// <summary>Service resolution for generated grain activators (no dependency on a DI package).</summary>
public static class ActivatorServices
{
    public static T GetRequired<T>(IServiceProvider services, Type grainClass)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetService(typeof(T)) is T service
            ? service
            : throw new InvalidOperationException($"Cannot activate {grainClass.FullName}: no service of type {typeof(T).FullName} is registered.");
    }

    public static T GetOptional<T>(IServiceProvider services, T defaultValue)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetService(typeof(T)) is T service ? service : defaultValue;
    }
}
