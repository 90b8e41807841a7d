using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;
using TinkerServer.Infrastructure.Configuration;

namespace TinkerServer.Infrastructure.Compute;

public static class ComputeServiceCollectionExtensions
{
    /// <summary>
    /// Registers the pure C# reference backend as <see cref="ITrainingBackend"/> (singleton), serving the built-in
    /// tiny model plus every HF model directory under TinkerServer:ModelsDirectory.
    /// </summary>
    public static IServiceCollection AddReferenceComputeBackend(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TinkerServerOptions>().Bind(configuration.GetSection(TinkerServerOptions.SectionName));
        services.TryAddSingleton<ReferenceModelRegistry>();
        services.TryAddSingleton<ReferenceTrainingBackend>();
        services.TryAddSingleton<ITrainingBackend>(sp => sp.GetRequiredService<ReferenceTrainingBackend>());
        return services;
    }
}
