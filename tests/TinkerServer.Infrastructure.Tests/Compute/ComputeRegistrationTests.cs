using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute;
using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class ComputeRegistrationTests
{
    [Fact]
    public void The_extension_registers_one_backend_serving_the_configured_models()
    {
        var root = Path.Combine(Path.GetTempPath(), "tinker-di-" + Guid.NewGuid().ToString("N"));
        try
        {
            var tiny = Path.Combine(root, "tiny-copy");
            Directory.CreateDirectory(tiny);
            foreach (var f in Directory.GetFiles(Qwen3TinyFixture.ModelDirectory))
            {
                File.Copy(f, Path.Combine(tiny, Path.GetFileName(f)));
            }

            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["TinkerServer:ModelsDirectory"] = root,
                ["TinkerServer:BaseModel"] = "tiny-copy",
            }).Build();
            using var provider = new ServiceCollection().AddLogging().AddReferenceComputeBackend(configuration).BuildServiceProvider();
            var backend = provider.GetRequiredService<ITrainingBackend>();
            backend.Should().BeSameAs(provider.GetRequiredService<ReferenceTrainingBackend>());
            backend.BaseModels.Select(m => m.Name).Should().Equal("tiny-copy", BuiltInModels.TinyName);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
