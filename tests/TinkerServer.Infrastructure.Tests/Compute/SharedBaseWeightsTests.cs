using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class SharedBaseWeightsTests
{
    [Fact]
    public void Base_weights_load_once_and_every_reader_gets_the_same_instance()
    {
        var loads = 0;
        var model = new RegisteredModel("tiny", BuiltInModels.TinyConfig, () =>
        {
            Interlocked.Increment(ref loads);
            return BuiltInModels.Generate(BuiltInModels.TinyConfig, BuiltInModels.TinySeed);
        });

        var readers = Enumerable.Range(0, 8).AsParallel().Select(_ => model.Weights).ToList();

        loads.Should().Be(1);
        readers.Should().OnlyContain(w => ReferenceEquals(w, readers[0]));
    }
}
