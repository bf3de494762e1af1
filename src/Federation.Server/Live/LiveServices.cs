using Microsoft.Extensions.Options;

namespace Federation.Server.Live;

/// <summary>Registers the live feed and the load history it samples.</summary>
public static class LiveServices
{
    public static IServiceCollection AddLiveFeed(this IServiceCollection services)
    {
        services.AddOptions<LiveFeedOptions>().BindConfiguration(LiveFeedOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LiveFeedOptions>, LiveFeedOptionsValidator>();
        services.AddSingleton<MegaregionFeed>();
        services.AddHostedService(static sp => sp.GetRequiredService<MegaregionFeed>());
        return services;
    }
}
