using System.Reflection;
using Federation.Actors.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Hosting;

/// <summary>Configures the runtime inside <c>AddActors</c>/<c>UseActors</c>.</summary>
public sealed class ActorsBuilder
{
    internal ActorsBuilder(IServiceCollection services)
    {
        Services = services;
    }

    public IServiceCollection Services { get; }

    public ActorsBuilder Configure<TOptions>(Action<TOptions> configure)
        where TOptions : class
    {
        Services.Configure(configure);
        return this;
    }

    /// <summary>Names the silo and sets its metadata (for example <c>region</c>).</summary>
    public ActorsBuilder ConfigureSilo(string siloName, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Services.Configure<SiloOptions>(options =>
        {
            options.SiloName = siloName;
            if (metadata is not null)
            {
                foreach (var (key, value) in metadata)
                {
                    options.Metadata[key] = value;
                }
            }
        });
        return this;
    }

    /// <summary>Makes sure the grain classes of an assembly are registered even if nothing has loaded it yet.</summary>
    public ActorsBuilder AddGrainAssembly(Assembly assembly)
    {
        GrainModuleLoader.Load(assembly);
        return this;
    }
}
