using Federation.Actors.Catalog;
using Federation.Actors.Hosting;
using Federation.Actors.Reminders;
using Federation.Actors.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Tests.Support;

/// <summary>Starts a <see cref="TestSilo"/> with a <see cref="Probe"/> and reaches into its catalog.</summary>
public static class Silos
{
    public static Task<TestSilo> StartAsync(
        Probe probe,
        Action<ActorsBuilder>? configure = null,
        ManualTimeProvider? time = null,
        IReminderTable? reminderTable = null,
        Action<IServiceCollection>? services = null) =>
        TestSilo.StartAsync(configure, s =>
        {
            s.AddSingleton(probe);
            services?.Invoke(s);
        }, time, reminderTable);

    internal static ActivationData? Activation(this TestSilo silo, IAddressable grain) =>
        silo.Silo.Catalog.TryGetActivation(grain.GetGrainId(), out var activation) ? activation : null;

    internal static bool IsActive(this TestSilo silo, IAddressable grain) =>
        silo.Activation(grain) is { State: ActivationState.Valid };

    internal static StatelessWorkerGroup? Workers(this TestSilo silo, IAddressable grain) =>
        silo.Silo.Catalog.TryGetWorkerGroup(grain.GetGrainId(), out var group) ? group : null;
}
