using Microsoft.Extensions.Options;

namespace Federation.Server.Simulation;

/// <summary>Registers the what-if runs, their worker and the bundled traces.</summary>
public static class WhatIfServices
{
    public static IServiceCollection AddWhatIfRuns(this IServiceCollection services)
    {
        services.AddOptions<WhatIfRunnerOptions>().BindConfiguration(WhatIfRunnerOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WhatIfRunnerOptions>, WhatIfRunnerOptionsValidator>();
        services.AddSingleton<BundledTraces>();
        services.AddSingleton<WhatIfRuns>();
        services.AddHostedService(static sp => sp.GetRequiredService<WhatIfRuns>());
        return services;
    }
}
